#!/bin/bash
# httpd — Apache 2.4 from Debian bookworm's apache2, laid out where tutorials of the official image look:
# /usr/local/apache2/htdocs/ is the DocumentRoot (with the official "It works!" page), `httpd-foreground`
# runs Apache in the foreground as pid 1, access log on stdout and error log on stderr, port 80.
# The configuration stays in Debian's layout (/etc/apache2); /usr/local/apache2/conf links to it.
# Usage: httpd.sh OUTPUT.tar
RECIPE_NAME=httpd
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

cat > "$work/httpd" <<'SH'
#!/bin/sh
# muelle: `httpd ARGS` runs Debian's apache2 binary with Debian's environment (/etc/apache2/envvars).
. /etc/apache2/envvars
exec /usr/sbin/apache2 "$@"
SH
cat > "$work/httpd-foreground" <<'SH'
#!/bin/sh
# muelle: Apache in the foreground (pid 1 in a container), as the official image's httpd-foreground.
set -e
. /etc/apache2/envvars
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR"
rm -f "$APACHE_PID_FILE"
exec /usr/sbin/apache2 -DFOREGROUND "$@"
SH
cat > "$work/000-default.conf" <<'CONF'
# muelle: the official httpd image's document root, logs to the container's stdout/stderr.
<VirtualHost *:80>
	DocumentRoot /usr/local/apache2/htdocs
	ErrorLog /proc/self/fd/2
	CustomLog /proc/self/fd/1 common
</VirtualHost>
<Directory /usr/local/apache2/htdocs>
	Options Indexes FollowSymLinks
	AllowOverride None
	Require all granted
</Directory>
CONF
printf '<html><body><h1>It works!</h1></body></html>\n' > "$work/index.html"

slim_mmdebstrap "$TMP_OUT" --format=tar --include=apache2 \
  --customize-hook='mkdir -p "$1/usr/local/apache2/htdocs" "$1/usr/local/apache2/bin"' \
  --customize-hook="copy-in $work/index.html /usr/local/apache2/htdocs/" \
  --customize-hook="copy-in $work/httpd $work/httpd-foreground /usr/local/apache2/bin/" \
  --customize-hook='chmod 755 "$1/usr/local/apache2/bin/httpd" "$1/usr/local/apache2/bin/httpd-foreground"' \
  --customize-hook="copy-in $work/000-default.conf /etc/apache2/sites-available/" \
  --customize-hook='ln -sfn /etc/apache2 "$1/usr/local/apache2/conf"' \
  --customize-hook='sed -ri "s#^ErrorLog .*#ErrorLog /proc/self/fd/2#" "$1/etc/apache2/apache2.conf"' \
  --customize-hook='rm -f "$1"/etc/apache2/conf-enabled/other-vhosts-access-log.conf "$1"/var/www/html/index.html' \
  --customize-hook='ln -sf /proc/self/fd/1 "$1/var/log/apache2/access.log"' \
  --customize-hook='ln -sf /proc/self/fd/2 "$1/var/log/apache2/error.log"'
finish_output

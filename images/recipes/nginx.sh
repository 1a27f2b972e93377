#!/bin/bash
# nginx — Debian bookworm's nginx-light laid out like the official image: /etc/nginx/conf.d/default.conf
# serves /usr/share/nginx/html (Debian's "Welcome to nginx!" page), logs go to the container's
# stdout/stderr so `docker logs` shows requests.
# Usage: nginx.sh OUTPUT.tar
RECIPE_NAME=nginx
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/default.conf" <<'CONF'
# muelle: the official nginx image's default server.
server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
CONF
slim_mmdebstrap "$TMP_OUT" --format=tar --include=nginx-light,ca-certificates \
  --customize-hook='rm -f "$1/etc/nginx/sites-enabled/default"' \
  --customize-hook="copy-in $work/default.conf /etc/nginx/conf.d/" \
  --customize-hook='grep -q "Welcome to nginx!" "$1/usr/share/nginx/html/index.html"' \
  --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log"' \
  --customize-hook='ln -sf /dev/stderr "$1/var/log/nginx/error.log"'
finish_output

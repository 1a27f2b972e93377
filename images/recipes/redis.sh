#!/bin/bash
# redis — Debian bookworm's redis-server and redis-tools (Redis 7.0, with redis-cli) behaving like the official
# image: `redis-server` as pid 1 running as the redis user in /data, listening on 6379 on every interface with
# protected mode off (the official image builds it off by default), logs on stdout.
# Usage: redis.sh OUTPUT.tar
RECIPE_NAME=redis
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

cat > "$work/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/bash
# muelle's redis entrypoint (written for muelle, modelled on the behaviour of the official image's).
set -e

# `docker run redis --appendonly yes` or `docker run redis /path/redis.conf` run redis-server with them.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi

if [ "$1" = redis-server ]; then
  # Protected mode is off unless asked for, as in the official image (Debian's default is on, which
  # refuses every client from another container when no password is set).
  asked=no
  for arg in "$@"; do
    case "$arg" in --protected-mode) asked=yes ;; esac
    if [ "${arg%.conf}" != "$arg" ] && [ -f "$arg" ] && grep -qiE '^[[:space:]]*protected-mode' "$arg"; then
      asked=yes
    fi
  done
  [ "$asked" = yes ] || set -- "$@" --protected-mode no
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$BASH_SOURCE" "$@"
  fi
  umask 0077
fi

exec "$@"
ENTRYPOINT

slim_mmdebstrap "$TMP_OUT" --format=tar --include=redis-server,redis-tools \
  --customize-hook='mkdir -p "$1/data" && chroot "$1" chown redis:redis /data' \
  --customize-hook="copy-in $work/docker-entrypoint.sh /usr/local/bin/" \
  --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"'
finish_output

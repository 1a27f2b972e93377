#!/bin/bash
# postgres — Debian bookworm's postgresql-15 (server and psql) with an entrypoint written for muelle after
# the behaviour of the official image: POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
# POSTGRES_USER, POSTGRES_DB, /docker-entrypoint-initdb.d, data in $PGDATA (/var/lib/postgresql/data),
# listening on 5432 on every interface, the server as pid 1 running as the postgres user, logs on stderr.
# Debian's own cluster layout (/etc/postgresql, pg_ctlcluster) is removed: the server runs from $PGDATA.
# Usage: postgres.sh OUTPUT.tar
RECIPE_NAME=postgres
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

cat > "$work/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/bash
# muelle's postgres entrypoint (written for muelle, modelled on the behaviour of the official image's).
set -eo pipefail
shopt -s nullglob

error() { printf 'Error: %s\n' "$*" >&2; exit 1; }

# VAR_FILE reads the value of VAR from a file (Docker secrets).
for v in POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB POSTGRES_INITDB_ARGS; do
  f="${v}_FILE"
  if [ -n "${!f:-}" ] && [ -z "${!v:-}" ]; then export "$v=$(< "${!f}")"; fi
done

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
[ "$1" = postgres ] || exec "$@"

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    cat >&2 <<'EOM'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
EOM
    exit 1
  fi
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      ${POSTGRES_INITDB_ARGS:-}
  else
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" ${POSTGRES_INITDB_ARGS:-}
  fi
  auth=${POSTGRES_HOST_AUTH_METHOD:-}
  if [ -z "$auth" ]; then
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then auth=scram-sha-256; else auth=trust; fi
  fi
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  export PGPASSWORD=${POSTGRES_PASSWORD:-}
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;'
    echo
  fi
  psql+=(--dbname "$POSTGRES_DB")
  echo
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then echo "$0: running $f"; "$f"
        else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql)    echo "$0: running $f"; "${psql[@]}" -f "$f"; echo ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}"; echo ;;
      *)        echo "$0: ignoring $f" ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo
  echo 'PostgreSQL init process complete; ready for start up.'
  echo
else
  echo
  echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  echo
fi

exec "$@"
ENTRYPOINT

# initdb copies postgresql.conf.sample: listen on every interface, as the official image does.
slim_mmdebstrap "$TMP_OUT" --format=tar --include=postgresql-15 \
  --customize-hook='rm -rf "$1/etc/postgresql/15" "$1/var/lib/postgresql/15" "$1/var/log/postgresql"/*' \
  --customize-hook='sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '"'*'"'/" "$1/usr/share/postgresql/15/postgresql.conf.sample"' \
  --customize-hook='grep -q "^listen_addresses = '"'*'"'" "$1/usr/share/postgresql/15/postgresql.conf.sample"' \
  --customize-hook='mkdir -p "$1/docker-entrypoint-initdb.d" "$1/var/lib/postgresql/data"' \
  --customize-hook='chroot "$1" chown postgres:postgres /var/lib/postgresql/data' \
  --customize-hook='chmod 700 "$1/var/lib/postgresql/data"' \
  --customize-hook="copy-in $work/docker-entrypoint.sh /usr/local/bin/" \
  --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"'
finish_output

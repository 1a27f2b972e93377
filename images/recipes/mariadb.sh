#!/bin/bash
# mariadb — Debian bookworm's mariadb-server and mariadb-client (MariaDB 10.11) with an entrypoint written
# for muelle after the behaviour of the official image: MARIADB_*/MYSQL_* variables, /docker-entrypoint-initdb.d,
# data in /var/lib/mysql, listening on 3306 on every interface, logs on stderr, the server as pid 1.
# Usage: mariadb.sh OUTPUT.tar
RECIPE_NAME=mariadb
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# Listen on every interface, no DNS look-ups of clients (container names resolve late or not at all).
cat > "$work/99-muelle.cnf" <<'CNF'
# muelle: listen on every interface as the official image does; no reverse DNS for clients.
[mysqld]
bind-address = 0.0.0.0
skip-name-resolve
host-cache-size = 0
CNF

cat > "$work/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/bash
# muelle's mariadb entrypoint (written for muelle, modelled on the behaviour of the official image's).
# On an empty /var/lib/mysql: creates the system tables, sets the root password, creates the database and
# user the MARIADB_*/MYSQL_* variables ask for and runs /docker-entrypoint-initdb.d/*.{sh,sql,sql.gz};
# then execs the server so it is pid 1 and `docker stop` (SIGTERM) shuts it down cleanly.
set -eo pipefail
shopt -s nullglob

note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date '+%F %T%:z')" "$*"; }
error() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date '+%F %T%:z')" "$*" >&2; exit 1; }

# MARIADB_X wins over MYSQL_X; X_FILE reads the value from a file (Docker secrets).
env_var() {
  local name=$1 value="" v
  for v in "MARIADB_$name" "MYSQL_$name"; do
    if [ -n "${!v:-}" ]; then value=${!v}; break; fi
    local f="${v}_FILE"
    if [ -n "${!f:-}" ]; then value=$(< "${!f}"); break; fi
  done
  printf '%s' "$value"
}

sql_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi

case "$1" in mariadbd|mysqld) ;; *) exec "$@" ;; esac

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

if [ "$(id -u)" = 0 ]; then
  note "Entrypoint script for MariaDB Server $(mariadbd --version | awk '{print $3}') started."
  mkdir -p "$DATADIR" /run/mysqld
  find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
  note "Switching to dedicated user 'mysql'"
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
fi

if [ ! -d "$DATADIR/mysql" ]; then
  ROOT_PASSWORD=$(env_var ROOT_PASSWORD)
  ALLOW_EMPTY=$(env_var ALLOW_EMPTY_ROOT_PASSWORD)
  RANDOM_ROOT=$(env_var RANDOM_ROOT_PASSWORD)
  ROOT_HOST=$(env_var ROOT_HOST); ROOT_HOST=${ROOT_HOST:-%}
  DATABASE=$(env_var DATABASE)
  USER_NAME=$(env_var USER)
  USER_PASSWORD=$(env_var PASSWORD)
  if [ -z "$ROOT_PASSWORD" ] && [ -z "$ALLOW_EMPTY" ] && [ -z "$RANDOM_ROOT" ]; then
    error "Database is uninitialized and password option is not specified
	You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD (or their MYSQL_ equivalents)"
  fi
  if [ "$USER_NAME" = root ]; then
    error "MARIADB_USER=\"root\" (or MYSQL_USER) is not allowed: the root account is set up with MARIADB_ROOT_PASSWORD"
  fi
  if [ -n "$USER_NAME" ] && [ -z "$USER_PASSWORD" ]; then
    error "MARIADB_USER (MYSQL_USER) is set but MARIADB_PASSWORD (MYSQL_PASSWORD) is empty"
  fi
  if [ -n "$RANDOM_ROOT" ]; then
    ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32)
    note "GENERATED ROOT PASSWORD: $ROOT_PASSWORD"
  fi

  note "Initializing database files"
  mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --default-time-zone=SYSTEM --skip-log-bin \
    > /dev/null || error "mariadb-install-db failed"
  note "Database files initialized"

  note "Starting temporary server"
  "$@" --skip-networking --socket="$SOCKET" --skip-log-bin --wsrep_on=OFF &
  tmp_pid=$!
  for _ in $(seq 60); do
    if mariadb --protocol=socket --socket="$SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    kill -0 "$tmp_pid" 2>/dev/null || error "the temporary server exited during start-up"
    sleep 0.5
  done
  note "Temporary server started."

  client=(mariadb --protocol=socket --socket="$SOCKET" -uroot --binary-mode)
  rp=$(sql_escape "$ROOT_PASSWORD"); rh=$(sql_escape "$ROOT_HOST")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');"
    echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
    echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname, '\'');"
    echo "SET PASSWORD FOR root@localhost = PASSWORD('$rp');"
    if [ "$ROOT_HOST" != localhost ]; then
      echo "CREATE USER root@'$rh' IDENTIFIED BY '$rp';"
      echo "GRANT ALL ON *.* TO root@'$rh' WITH GRANT OPTION;"
      echo "GRANT PROXY ON ''@'%' TO root@'$rh' WITH GRANT OPTION;"
    fi
    if [ -n "$DATABASE" ]; then
      note "Creating database ${DATABASE}" >&2
      echo "CREATE DATABASE IF NOT EXISTS \`${DATABASE//\`/\`\`}\`;"
    fi
    if [ -n "$USER_NAME" ]; then
      note "Creating user ${USER_NAME}" >&2
      un=$(sql_escape "$USER_NAME")
      echo "CREATE USER '$un'@'%' IDENTIFIED BY '$(sql_escape "$USER_PASSWORD")';"
      if [ -n "$DATABASE" ]; then
        note "Giving user ${USER_NAME} access to schema ${DATABASE}" >&2
        echo "GRANT ALL ON \`${DATABASE//\`/\`\`}\`.* TO '$un'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | "${client[@]}" --database=mysql || error "setting up users and databases failed"

  export MYSQL_PWD=$ROOT_PASSWORD
  [ -n "$DATABASE" ] && client+=(--database="$DATABASE")
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then note "$0: running $f"; "$f"
        else note "$0: sourcing $f"; . "$f"; fi ;;
      *.sql)    note "$0: running $f"; "${client[@]}" < "$f" ;;
      *.sql.gz) note "$0: running $f"; gunzip -c "$f" | "${client[@]}" ;;
      *)        note "$0: ignoring $f" ;;
    esac
  done
  unset MYSQL_PWD

  note "Stopping temporary server"
  kill "$tmp_pid"; wait "$tmp_pid" || true
  note "Temporary server stopped"
  echo
  note "MariaDB init process done. Ready for start up."
  echo
fi

exec "$@"
ENTRYPOINT

slim_mmdebstrap "$TMP_OUT" --format=tar --include=mariadb-server,mariadb-client \
  --customize-hook='rm -rf "$1"/var/lib/mysql/* "$1"/var/log/mysql/*' \
  --customize-hook='mkdir -p "$1/docker-entrypoint-initdb.d" "$1/run/mysqld"' \
  --customize-hook='chroot "$1" chown mysql:mysql /var/lib/mysql /run/mysqld' \
  --customize-hook="copy-in $work/99-muelle.cnf /etc/mysql/mariadb.conf.d/" \
  --customize-hook="copy-in $work/docker-entrypoint.sh /usr/local/bin/" \
  --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"'
finish_output

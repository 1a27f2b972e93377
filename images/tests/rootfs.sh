#!/bin/bash
# Runs each catalog image's rootfs tarball on this host the way a seed tutorial runs the image, without
# Docker and without any network: the tarball is unpacked in a temporary directory and its catalog
# entrypoint + cmd (with the catalog's env and workdir) run under chroot in fresh PID, mount and network
# namespaces (only lo up, with 198.18.0.2 added to it, so "every interface" is checked on an address
# other than 127.0.0.1). Clients run from the same network namespace. A server gets `docker stop`'s
# signal (the catalog's stop_signal, default SIGTERM) as pid 1 of its own PID namespace, as in a container.
#
# Usage (as root): images/tests/rootfs.sh [--tar-dir DIR] [NAME...]
#   DIR defaults to ${MUELLE_DATA_DIR:-/var/lib/muelle}/images/tar (what `muelle images build` writes);
#   NAME defaults to every image with a test here. Prints one line per image with its time.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CATALOG=$HERE/../catalog.yaml
TAR_DIR=${MUELLE_DATA_DIR:-/var/lib/muelle}/images/tar
ALL=(mariadb postgres redis httpd nginx node python jupyter)
ADDR=198.18.0.2
SCRATCH=/tmp; [ -d /dev/shm ] && [ -w /dev/shm ] && SCRATCH=/dev/shm

if [ "${1:-}" = --tar-dir ]; then TAR_DIR=$2; shift 2; fi
[ "$(id -u)" = 0 ] || { echo "rootfs.sh: run as root (unshare, chroot)" >&2; exit 2; }
names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")

# Catalog facts of one image as shell assignments: TAR, RUN (entrypoint + cmd), ENV, WORKDIR, STOPSIG.
catalog_facts() {
  python3 - "$CATALOG" "$1" <<'PY'
import shlex, sys, yaml
cat = yaml.safe_load(open(sys.argv[1]))
img = next((i for i in cat["images"] if i["name"] == sys.argv[2]), None)
if img is None:
    sys.exit(f"rootfs.sh: {sys.argv[2]} is not in the catalog")
env = list(img.get("env") or [])
if not any(e.startswith("PATH=") for e in env):
    env.insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
run = (img.get("entrypoint") or []) + img["cmd"]
print(f"TAR={shlex.quote(img['name'] + '-' + str(img['tags'][0]) + '.tar')}")
print("RUN=(" + " ".join(shlex.quote(a) for a in run) + ")")
print("ENV=(" + " ".join(shlex.quote(e) for e in env) + ")")
print(f"WORKDIR={shlex.quote(img.get('workdir') or '/')}")
print(f"STOPSIG={shlex.quote(img.get('stop_signal') or 'SIGTERM')}")
PY
}

# The body of one image test runs in its own PID + mount + network namespace (see run_test); these
# helpers are used from there. $ROOT is the unpacked rootfs, $WORK a scratch directory outside it.
fail() { echo "FAIL: $*" >&2; exit 1; }

# in_image CMD...: runs a client command inside the rootfs with the image's environment.
in_image() { chroot "$ROOT" env -i "${ENV[@]}" HOME=/root "$@"; }

# start_server [VAR=VALUE...] [-- ARGS]: starts entrypoint + cmd (ARGS replace cmd after the
# entrypoint's first word when given) as pid 1 of a new PID namespace, output to $WORK/server.log.
start_server() {
  local -a extra=() run=("${RUN[@]}")
  while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
  if [ "${1:-}" = -- ]; then shift; run=("$@"); fi
  : > "$WORK/server.log"
  unshare --pid --fork --mount-proc="$ROOT/proc" \
    chroot "$ROOT" env -i "${ENV[@]}" HOSTNAME=test "${extra[@]}" \
    sh -c 'cd "$0" && exec "$@"' "$WORKDIR" "${run[@]}" >> "$WORK/server.log" 2>&1 &
  UNSHARE_PID=$!
  local i
  for i in $(seq 50); do
    SERVER_PID=$(pgrep -P "$UNSHARE_PID" || true)
    [ -n "$SERVER_PID" ] && return 0
    sleep 0.1
  done
  fail "the server did not start"
}

# wait_for SECONDS CMD...: retries CMD until it succeeds (quietly), failing with the server log.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$UNSHARE_PID" 2>/dev/null; then
      tail -n 30 "$WORK/server.log" >&2
      fail "timed out or server exited waiting for: $*"
    fi
    sleep 0.3
  done
}

# stop_server: sends the stop signal to pid 1 of the server's PID namespace (what `docker stop` does)
# and expects it to exit within 10 s, as Docker waits before SIGKILL.
stop_server() {
  kill -s "$STOPSIG" "$SERVER_PID"
  local deadline=$((SECONDS + 10))
  while kill -0 "$UNSHARE_PID" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "$STOPSIG did not stop the server within 10 s"
    sleep 0.2
  done
  wait "$UNSHARE_PID" || true
}

expect_log() { grep -qE -- "$1" "$WORK/server.log" || { tail -n 30 "$WORK/server.log" >&2; fail "log lacks /$1/"; }; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

uid_of() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }

# bind_dir HOSTDIR PATH: bind-mounts a host directory over PATH of the rootfs (docker run -v).
bind_dir() { mkdir -p "$ROOT$2"; mount --bind "$1" "$ROOT$2"; }

test_mariadb() {
  # No password option: refuses to initialise, like the official image.
  start_server
  wait "$UNSHARE_PID" && fail "mariadb started without a root password option"
  expect_log 'password option is not specified'

  mkdir -p "$WORK/initdb"
  cat > "$WORK/initdb/01-items.sql" <<'SQL'
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));
INSERT INTO items VALUES (1, 'tomate');
SQL
  printf '#!/bin/bash\necho "initdb shell script ran for $MYSQL_DATABASE"\n' > "$WORK/initdb/02-note.sh"
  bind_dir "$WORK/initdb" /docker-entrypoint-initdb.d
  start_server MYSQL_ROOT_PASSWORD='r00t pw' MYSQL_DATABASE=agro_db MYSQL_USER=app MYSQL_PASSWORD=apppw
  wait_for 60 in_image mysql -h "$ADDR" -uroot '-pr00t pw' -e 'SELECT 1'
  expect_eq "$(in_image mysql -h "$ADDR" -uapp -papppw agro_db -N -e 'SELECT name FROM items')" tomate "app user reads the initdb table"
  expect_eq "$(in_image mysql -h "$ADDR" -uroot '-pr00t pw' -N -e 'SELECT @@port, @@datadir')" "$(printf '3306\t/var/lib/mysql/')" "port and datadir"
  in_image mysql -h "$ADDR" -uroot -pwrong -e 'SELECT 1' 2>/dev/null && fail "a wrong root password was accepted"
  # mysql -u root -p inside the container (the seed's `docker exec ... mysql -p`) over the socket.
  expect_eq "$(in_image mysql -uroot '-pr00t pw' -N -e 'SELECT CURRENT_USER()')" root@localhost "root over the socket"
  expect_eq "$(uid_of "$SERVER_PID")" "$(awk -F: '$1=="mysql"{print $3}' "$ROOT/etc/passwd")" "server runs as mysql"
  expect_eq "$(tr '\0' ' ' < "/proc/$SERVER_PID/cmdline")" "mariadbd " "pid 1 is the server"
  expect_log 'initdb shell script ran for agro_db'
  expect_log 'MariaDB init process done'
  expect_log 'ready for connections'
  stop_server
  expect_log 'Shutdown complete'

  # A second start on the same data keeps it and skips initialisation.
  start_server
  wait_for 30 in_image mysql -h "$ADDR" -uapp -papppw agro_db -e 'SELECT 1'
  expect_eq "$(grep -c 'init process done' "$WORK/server.log")" 0 "restart does not re-initialise"
  stop_server
}

test_postgres() {
  start_server
  wait "$UNSHARE_PID" && fail "postgres started without POSTGRES_PASSWORD"
  expect_log 'superuser password is not specified'

  mkdir -p "$WORK/initdb"
  echo "CREATE TABLE votes (option text); INSERT INTO votes VALUES ('cats');" > "$WORK/initdb/01.sql"
  bind_dir "$WORK/initdb" /docker-entrypoint-initdb.d
  start_server POSTGRES_PASSWORD=pgpw POSTGRES_DB=votes
  wait_for 60 in_image env PGPASSWORD=pgpw psql -h "$ADDR" -U postgres -d votes -tAc 'SELECT 1'
  expect_eq "$(in_image env PGPASSWORD=pgpw psql -h "$ADDR" -U postgres -d votes -tAc 'SELECT option FROM votes')" cats "initdb table"
  expect_eq "$(in_image env PGPASSWORD=pgpw psql -h "$ADDR" -U postgres -tAc 'SHOW data_directory')" /var/lib/postgresql/data "data directory"
  in_image env PGPASSWORD=wrong psql -h "$ADDR" -U postgres -tAc 'SELECT 1' 2>/dev/null && fail "a wrong password was accepted"
  expect_eq "$(uid_of "$SERVER_PID")" "$(awk -F: '$1=="postgres"{print $3}' "$ROOT/etc/passwd")" "server runs as postgres"
  expect_log 'PostgreSQL init process complete'
  expect_log 'database system is ready to accept connections'
  stop_server
  expect_log 'database system is shut down'

  # POSTGRES_USER on a fresh data directory, trust auth without a password.
  rm -rf "${ROOT:?}/var/lib/postgresql/data/"*
  start_server POSTGRES_USER=alice POSTGRES_HOST_AUTH_METHOD=trust
  wait_for 60 in_image psql -h "$ADDR" -U alice -d alice -tAc 'SELECT 1'
  expect_eq "$(in_image psql -h "$ADDR" -U alice -d alice -tAc 'SELECT current_user')" alice "POSTGRES_USER"
  stop_server
}

test_redis() {
  start_server
  wait_for 20 in_image redis-cli -h "$ADDR" ping
  expect_eq "$(in_image redis-cli -h "$ADDR" ping)" PONG "PING from a non-loopback address"
  in_image redis-cli -h "$ADDR" set hits 41 >/dev/null
  expect_eq "$(in_image redis-cli -h "$ADDR" incr hits)" 42 "INCR"
  expect_eq "$(uid_of "$SERVER_PID")" "$(awk -F: '$1=="redis"{print $3}' "$ROOT/etc/passwd")" "server runs as redis"
  expect_log 'Ready to accept connections'
  stop_server
  expect_log 'ready to exit, bye bye'
}

# serves_default_then_mounted DEFAULT_TEXT DOCROOT: the image's own page says DEFAULT_TEXT, then a
# page bind-mounted at DOCROOT (where the official image serves from) is served and logged.
# Leaves the server running.
serves_default_then_mounted() {
  start_server
  wait_for 20 curl -fsS "http://$ADDR/"
  grep -q "$1" <<<"$(curl -fsS "http://$ADDR/")" || fail "default page is not '$1'"
  stop_server
  mkdir -p "$WORK/site"; echo '<h1>hola desde muelle</h1>' > "$WORK/site/index.html"
  bind_dir "$WORK/site" "$2"
  start_server
  wait_for 20 curl -fsS "http://$ADDR/"
  grep -q 'hola desde muelle' <<<"$(curl -fsS "http://$ADDR/")" || fail "the mounted page is not served"
  sleep 0.3
  expect_log '"GET / HTTP/1.1" 200'
}

test_httpd() {
  serves_default_then_mounted 'It works!' /usr/local/apache2/htdocs
  expect_log 'AH00094: Command line'
  grep -q 'Apache/2.4' <<<"$(in_image httpd -v)" || fail "httpd -v"
  stop_server
}

test_nginx() {
  serves_default_then_mounted 'Welcome to nginx!' /usr/share/nginx/html
  stop_server
}

test_node() {
  expect_eq "$(in_image node -e 'console.log([1, 2, 3].map(x => x * 2).join(","))')" 2,4,6 "node -e"
  grep -qE '^[0-9]+\.' <<<"$(in_image npm --version)" || fail "npm --version"
  start_server -- "${RUN[@]}" -e 'require("http").createServer((q, r) => r.end("hi")).listen(3000)'
  wait_for 20 curl -fsS "http://$ADDR:3000/"
  # Like the official image, node as pid 1 ignores SIGTERM unless the program handles it (docker
  # stop then kills it after 10 s; `docker run --init` avoids that): end it with SIGKILL here.
  STOPSIG=SIGKILL stop_server
}

test_python() {
  expect_eq "$(in_image python -c 'import flask, redis, pymysql, psycopg2, psycopg; print("ok")')" ok "imports"
  # No network here: pip finds the Debian package instead of failing as "externally managed".
  local out
  out=$(in_image pip install flask redis pymysql 2>&1) || fail "pip install: $out"
  grep -q 'Requirement already satisfied: flask' <<<"$out" || fail "pip install flask: $out"
  expect_eq "$(in_image python -c 'import sys; print(sys.version_info[:2])')" "(3, 11)" "version"
}

test_jupyter() {
  start_server
  wait_for 60 grep -qE 'token=[0-9a-f]+' "$WORK/server.log"
  local token
  token=$(grep -oE 'token=[0-9a-f]+' "$WORK/server.log" | head -n1 | cut -d= -f2)
  wait_for 20 curl -fsS "http://$ADDR:8888/api/status?token=$token"
  grep -q '"type": *"directory"' <<<"$(curl -fsS "http://$ADDR:8888/api/contents/work?token=$token")" \
    || fail "work directory not listed through the API"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR:8888/api/status")" = 403 ] \
    || fail "the API answers without the token"
  expect_log 'http://127\.0\.0\.1:8888/\?token='
  expect_eq "$(uid_of "$SERVER_PID")" 1000 "runs as jovyan"
  in_image python3 -c 'import numpy, pandas, matplotlib' || fail "data-science libraries"
  stop_server
}

# run_test NAME: unpacks the tarball and runs test_NAME in new PID + mount + network namespaces;
# whatever the test leaves running dies with the namespace's pid 1.
run_test() {
  local name=$1 facts
  facts=$(catalog_facts "$name") || return 1
  eval "$facts"
  [ -f "$TAR_DIR/$TAR" ] || { echo "FAIL: $TAR_DIR/$TAR missing (muelle images build --only $name)" >&2; return 1; }
  # Unpacked in RAM (/dev/shm) when there is one: a few hundred MB unpack there in a second or two.
  WORK=$(mktemp -d "$SCRATCH/muelle-rootfs-test.XXXXXX")
  ROOT=$WORK/root
  mkdir "$ROOT"
  tar --numeric-owner -xpf "$TAR_DIR/$TAR" -C "$ROOT"
  local rc=0
  export ROOT WORK TAR WORKDIR STOPSIG ADDR
  unshare --pid --mount --net --fork --mount-proc bash -c "
    set -euo pipefail
    $(declare -p RUN ENV)
    $(declare -f fail in_image start_server wait_for stop_server expect_log expect_eq uid_of bind_dir serves_default_then_mounted "test_$name")
    mount --make-rprivate /
    ip link set lo up
    ip addr add $ADDR/32 dev lo
    mount --rbind /dev \"\$ROOT/dev\"
    test_$name
  " || rc=$?
  if [ $rc -ne 0 ] && [ -s "$WORK/server.log" ]; then
    echo "--- last lines of the $name server log:" >&2; tail -n 15 "$WORK/server.log" >&2
  fi
  # The namespace (and its mounts) died with its pid 1; never recurse into a mount that is still there.
  if findmnt -rno TARGET | grep -qF "$WORK"; then
    echo "rootfs.sh: $WORK still has mounts; left in place" >&2; return 1
  fi
  rm -rf "$WORK"
  return $rc
}

failed=0
for name in "${names[@]}"; do
  start=$SECONDS
  if run_test "$name"; then echo "ok   $name ($((SECONDS - start)) s)"
  else echo "FAIL $name ($((SECONDS - start)) s)"; failed=$((failed + 1)); fi
done
[ $failed -eq 0 ] || { echo "rootfs.sh: $failed image(s) failed" >&2; exit 1; }

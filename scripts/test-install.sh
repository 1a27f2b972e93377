#!/usr/bin/env bash
# The service install on a clean root filesystem: a Debian bookworm minbase with systemd
# (mmdebstrap, from the apt mirror; cached as a tarball under /var/cache/muelle-test),
# scripts/install.sh --root into it, the root's own `systemd-analyze verify` of the installed unit
# (systemd is not pid 1 there), then the unit's ExecStart command line run inside the chroot with
# the unit's Environment= and the installed config until /readyz answers 200.
#
# The server runs with MUELLE_SANDBOX=fake (a variable: it overrides the installed config, as
# documented): real sandboxes would share this host's bridges and nodes with the machine's own
# server. Needs root (chroot), mmdebstrap and systemd-analyze. Port: MUELLE_TEST_PORT or 18131.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${MUELLE_TEST_PORT:-18131}
cache=/var/cache/muelle-test
tarball=$cache/bookworm-systemd.tar
die() { echo "test-install: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (chroot)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap)"

if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  echo "test-install: building $tarball (once)"
  # mmdebstrap picks the format from the name: keep .tar at the end.
  mmdebstrap --quiet --variant=minbase --include=systemd --mode=root bookworm "$cache/partial-bookworm-systemd.tar" http://deb.debian.org/debian
  mv "$cache/partial-bookworm-systemd.tar" "$tarball"
fi

work=$(mktemp -d /var/tmp/muelle-install.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
[ ! -e "$root/usr/bin/muelle" ] || die "the clean root already has muelle"

frontend=$repo/frontend/dist
if [ ! -f "$frontend/index.html" ]; then
  # The front end is built by trunk (minutes); this test is about the service, so a stand-in
  # page is installed when it was not built.
  echo "test-install: frontend/dist not built; installing a stand-in index.html"
  frontend=$work/dist
  mkdir -p "$frontend"
  echo '<!doctype html><title>muelle</title>' > "$frontend/index.html"
fi
bash "$repo/scripts/install.sh" --root "$root" --frontend "$frontend"

for f in usr/bin/muelle usr/bin/sandbox-init usr/share/muelle/frontend/index.html \
         usr/share/muelle/images/catalog.yaml usr/share/muelle/images/node/build.sh \
         usr/share/muelle/lessons lib/systemd/system/muelle.service etc/muelle/muelle.toml var/lib/muelle; do
  [ -e "$root/$f" ] || die "/$f was not installed"
done

unit=$root/lib/systemd/system/muelle.service
# The root's systemd checks the unit: its settings, ExecStart's binary, the targets it names.
unshare --mount --propagation private sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" systemd-analyze verify /lib/systemd/system/muelle.service' sh "$root" \
  >"$work/verify.txt" 2>&1 || { cat "$work/verify.txt"; die "systemd-analyze verify failed"; }
[ ! -s "$work/verify.txt" ] || { cat "$work/verify.txt"; die "systemd-analyze verify warned"; }
echo "test-install: systemd-analyze verify passed"

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
unit_env=$(sed -n 's/^Environment=//p' "$unit" | tr '\n' ' ')
[ -n "$exec_start" ] && [ -n "$workdir" ] || die "no ExecStart/WorkingDirectory in the unit"
chroot "$root" /usr/bin/muelle config check --config /etc/muelle/muelle.toml >"$work/check.txt" \
  || { cat "$work/check.txt"; die "muelle config check failed on the installed config"; }
grep -q '^static_dir  *//*usr/share/muelle/frontend  *(file)' "$work/check.txt" || { cat "$work/check.txt"; die "the installed config is not read"; }

# /proc in a mount namespace of the server's own, gone with it.
unshare --mount --propagation private sh -c '
  mount -t proc proc "$1/proc" &&
  exec chroot "$1" sh -c "cd \"\$1\" && exec env $5 MUELLE_SANDBOX=fake MUELLE_BIND=127.0.0.1:$2 $3" sh "$4"
' sh "$root" "$port" "$exec_start" "$workdir" "$unit_env" >"$work/server.log" 2>&1 &
server=$!

for _ in $(seq 1 100); do
  if code=$(curl -s -o "$work/readyz" -w '%{http_code}' "http://127.0.0.1:$port/readyz") && [ "$code" = 200 ]; then
    break
  fi
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; die "the installed server exited"; }
  sleep 0.2
done
[ "${code:-}" = 200 ] || { cat "$work/server.log" "$work/readyz"; die "/readyz answered ${code:-nothing}, not 200"; }
curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^muelle_ready 1$' || die "/metrics does not say ready"
curl -sf "http://127.0.0.1:$port/" | grep -q '<title>' || die "the installed front end is not served"
[ -s "$root/var/lib/muelle/admin-token" ] || die "no admin token in the installed data directory"
grep -q '"message":"listening"' "$work/server.log" || { cat "$work/server.log"; die "no JSON log line (MUELLE_LOG_FORMAT=json of the unit)"; }
echo "test-install: the installed service answers /readyz 200 on port $port ($(cat "$work/readyz"))"

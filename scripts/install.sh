#!/usr/bin/env bash
# Installs a built muelle as a Debian service (see docs/DEPLOY.md):
#   /usr/bin/muelle, /usr/bin/sandbox-init           the binaries (target/release)
#   /usr/share/muelle/frontend                       the built front end (frontend/dist)
#   /usr/share/muelle/images                         the images' recipes (catalog.yaml, node/, recipes/, lib/)
#   /usr/share/muelle/lessons                        the lessons
#   /usr/share/doc/muelle/                           DEPLOY.md, CHANGELOG.md, README.md
#   /lib/systemd/system/muelle.service               the unit (dist/systemd/muelle.service)
#   /etc/muelle/muelle.toml                          the config (dist/muelle.toml; kept if present)
#   /var/lib/muelle                                  the state (mode 0750)
#
# Usage: scripts/install.sh [--root DIR] [--frontend DIR]
#   --root DIR      install into DIR (a chroot, a package staging tree) instead of /
#   --frontend DIR  the built front end [default: frontend/dist]
# Build first: cargo build --release -p backend -p sandbox, and trunk build --release (README).
# Then, on the server: muelle config check; systemctl daemon-reload; systemctl enable --now muelle;
# muelle images build (once, as root: the node image and catalog images into /var/lib/muelle).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=/
frontend=$repo/frontend/dist
while [ $# -gt 0 ]; do
  case $1 in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --frontend) frontend=${2:?--frontend needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "install.sh: $*" >&2; exit 1; }
for bin in muelle sandbox-init; do
  [ -x "$repo/target/release/$bin" ] || die "target/release/$bin is missing: cargo build --release -p backend -p sandbox"
done
[ -f "$frontend/index.html" ] || die "no built front end at $frontend (trunk build --release --offline, or --frontend DIR)"
[ -d "$root" ] || die "--root $root is not a directory"

r=${root%/}
install -d -m 0755 "$r/usr/bin" "$r/usr/share/muelle" "$r/usr/share/doc/muelle" "$r/lib/systemd/system" "$r/etc/muelle"
install -m 0755 "$repo/target/release/muelle" "$repo/target/release/sandbox-init" "$r/usr/bin/"

# Whole trees replaced, so an upgrade leaves no stale lesson or recipe behind.
copy_tree() {  # copy_tree SRC DEST: DEST becomes a copy of SRC (files 0644, dirs and scripts keep x)
  rm -rf "$2.new"
  cp -R --no-preserve=ownership "$1" "$2.new"
  chmod -R u=rwX,go=rX "$2.new"
  rm -rf "$2"
  mv "$2.new" "$2"
}
copy_tree "$frontend" "$r/usr/share/muelle/frontend"
copy_tree "$repo/lessons" "$r/usr/share/muelle/lessons"
copy_tree "$repo/images" "$r/usr/share/muelle/images"
rm -rf "$r/usr/share/muelle/images/tests"

for doc in docs/DEPLOY.md CHANGELOG.md README.md SECURITY.md; do
  [ -f "$repo/$doc" ] && install -m 0644 "$repo/$doc" "$r/usr/share/doc/muelle/"
done
install -m 0644 "$repo/dist/systemd/muelle.service" "$r/lib/systemd/system/muelle.service"
if [ -e "$r/etc/muelle/muelle.toml" ]; then
  echo "install.sh: keeping $r/etc/muelle/muelle.toml (the new default is $r/etc/muelle/muelle.toml.dist)"
  install -m 0640 "$repo/dist/muelle.toml" "$r/etc/muelle/muelle.toml.dist"
else
  install -m 0640 "$repo/dist/muelle.toml" "$r/etc/muelle/muelle.toml"
fi
install -d -m 0750 "$r/var/lib/muelle"
echo "installed muelle $("$repo/target/release/muelle" --version | cut -d' ' -f2) into $root"

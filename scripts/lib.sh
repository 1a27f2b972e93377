# Shared by scripts/*.sh: progress lines with elapsed time, and the repo root.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:/usr/local/bin:$PATH"
export MUELLE_DATA_DIR=${MUELLE_DATA_DIR:-/var/lib/muelle}
step() { printf '\n\033[1m=== [%4ss] %s\033[0m\n' "$SECONDS" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "muelle creates namespaces, cgroups and bridges: run this as root"

#!/usr/bin/env bash
# Starts muelle on http://localhost:8080: installs what is missing, builds, then serves.
# Environment: every MUELLE_* variable of README.md's Configuration table / `muelle serve --help` (e.g. MUELLE_BIND).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
export MUELLE_BIND=${MUELLE_BIND:-0.0.0.0:8080}
step "serving on http://localhost:${MUELLE_BIND##*:} (ctrl-c stops; sessions survive a restart)"
exec target/release/muelle serve

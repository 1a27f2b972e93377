#!/usr/bin/env bash
# Prints muelle's speed and memory figures beside their targets, measured in one run on the real
# stack (BENCH_SESSIONS=100 live sessions by default). Builds what is missing first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# Chromium measures the front end's time to interactive.
MUELLE_EXTRA_APT="chromium" bash scripts/setup.sh
step "benchmarks"
cargo build --release -p e2e --bin bench
exec target/release/bench

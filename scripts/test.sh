#!/usr/bin/env bash
# Runs every test of muelle on the real thing: unit tests, real sandboxes with dockerd, the
# end-to-end suite, lesson lint and lesson tests, and the browser test in headless Chromium.
# Prints a line per suite and a final "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
MUELLE_EXTRA_APT="chromium chromium-driver" bash scripts/setup.sh || die "setup failed"

passed=0; failed=0; failures=()
suite() {  # suite NAME CMD...: runs one suite, counts it
  local name=$1; shift
  step "test: $name"
  if "$@"; then passed=$((passed+1)); echo "--- $name: ok"
  else failed=$((failed+1)); failures+=("$name"); echo "--- $name: FAILED"; fi
}

export RUST_BACKTRACE=1
suite "protocol builds for wasm32" cargo check -q -p protocol --target wasm32-unknown-unknown
suite "no import circles between modules (scripts/import-cycles.py)" python3 scripts/import-cycles.py
# --workspace includes the front end's native unit tests.
suite "unit and integration tests (cargo test --workspace)" cargo test --workspace --release -- --test-threads 2
suite "catalog images run as the seeds run them (images/tests/rootfs.sh, ~2 min)" bash images/tests/rootfs.sh
suite "install as a service on a clean bookworm root (scripts/test-install.sh)" bash scripts/test-install.sh
suite "lessons lint" target/release/muelle lessons lint lessons
suite "lessons test (every lesson played on real nodes)" target/release/muelle lessons test lessons
if [ -f tests/browser/run.mjs ]; then
  suite "browser test (headless Chromium)" bash tests/browser/run.sh
fi

# Fake-provider shells (host processes of backend tests, HOME under a test's temp dir) that a
# test left behind would keep this script's output open: end them.
for env in /proc/[0-9]*/environ; do
  if tr '\0' '\n' 2>/dev/null <"$env" | grep -q '^HOME=/tmp/\.tmp[^/]*/nodes/' \
     && tr '\0' '\n' 2>/dev/null <"$env" | grep -q '^CARGO_PKG_NAME=backend$'; then
    pid=${env#/proc/}; pid=${pid%/environ}; echo "ending a left-over test shell (pid $pid)"; kill -9 "$pid" 2>/dev/null
  fi
done

step "summary"
for f in "${failures[@]:-}"; do [ -n "$f" ] && echo "failed: $f"; done
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]

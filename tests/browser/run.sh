#!/usr/bin/env bash
# Runs the browser test (run.mjs) in headless Chromium.
#
# With BASE_URL set, tests that running muelle. Otherwise starts one itself from
# target/release/muelle (override with MUELLE_BIN) on 127.0.0.1:$MUELLE_TEST_PORT (18080),
# serving frontend/dist and a copy of lessons/ plus tests/browser/lessons (unless
# MUELLE_LESSONS_DIR is set), with MUELLE_SANDBOX=${MUELLE_SANDBOX:-real}; a fake-sandbox server gets
# a throw-away data dir, a real one keeps the configured MUELLE_DATA_DIR (image caches live there).
# Exits with run.mjs's status; the server it started is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
[ -f "$root/frontend/dist/index.html" ] || { echo "frontend/dist is missing: run trunk build --release --offline (top level)" >&2; exit 1; }

if [ -z "${BASE_URL:-}" ]; then
  bin=${MUELLE_BIN:-$root/target/release/muelle}
  port=${MUELLE_TEST_PORT:-18080}
  log=$(mktemp /tmp/muelle-browser-server.XXXXXX.log)
  export MUELLE_SANDBOX=${MUELLE_SANDBOX:-real}
  export MUELLE_BIND=127.0.0.1:$port MUELLE_STATIC_DIR=$root/frontend/dist
  # SSH on (ssh.mjs checks the command the page shows and copies).
  export MUELLE_SSH_LISTEN=${MUELLE_SSH_LISTEN:-127.0.0.1:$((port + 1))}
  # The shipped lessons plus the browser test's own (tests/browser/lessons: setup, node=all,
  # solutions), in a copy, so that nothing is written into the checkout.
  tmplessons=""
  if [ -z "${MUELLE_LESSONS_DIR:-}" ]; then
    tmplessons=$(mktemp -d /tmp/muelle-browser-lessons.XXXXXX)
    cp -r "$root/lessons/." "$tmplessons/"
    cp -r "$here/lessons/." "$tmplessons/"
    export MUELLE_LESSONS_DIR=$tmplessons
  fi
  tmpdata=""
  if [ "$MUELLE_SANDBOX" = fake ]; then
    tmpdata=$(mktemp -d /tmp/muelle-browser-data.XXXXXX)
    export MUELLE_DATA_DIR=$tmpdata
  fi
  "$bin" serve >"$log" 2>&1 &
  server=$!
  cleanup() {
    kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "$tmpdata" ] && rm -rf "$tmpdata"
    [ -n "$tmplessons" ] && rm -rf "$tmplessons"
    return 0
  }
  trap cleanup EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "muelle exited; log: $log" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  export BASE_URL=http://127.0.0.1:$port
  echo "testing a muelle started here ($MUELLE_SANDBOX sandboxes, log $log)"
fi
node run.mjs

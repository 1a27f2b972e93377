# shellcheck shell=bash
# Shared helpers for muelle's image recipes (sourced, never run): logging, the host's apt sources,
# slim mmdebstrap options and atomic output. Recipes call `recipe_init OUT` first.

set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=${MUELLE_SUITE:-bookworm}
ARTIFACT_APT_CONF=/etc/apt/apt.conf.d/99artifact-registry

log() { echo "[$(date +%T)] ${RECIPE_NAME:-recipe}: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The host's own apt sources as one-line "deb URI SUITE COMPONENTS" entries, so no mirror host name is
# ever hard-coded: deb822 files first (Types: deb, Enabled != no), then the classic sources.list files.
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uri != "" && suites != "") {
          n = split(suites, s, " ")
          for (i = 1; i <= n; i++) print "deb " uri " " s[i] " " (comps == "" ? "main" : comps)
        }
        types = ""; uri = ""; suites = ""; comps = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^Types:/      { sub(/^Types:[ \t]*/, "");      types = $0 }
      /^URIs:/       { sub(/^URIs:[ \t]*/, "");       split($0, u, " "); uri = u[1] }
      /^Suites:/     { sub(/^Suites:[ \t]*/, "");     suites = $0 }
      /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
      /^Enabled:/    { sub(/^Enabled:[ \t]*/, "");    enabled = tolower($0) }
      END { flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    grep -E '^[[:space:]]*deb[[:space:]]' "$f" | sed -E 's/^[[:space:]]+//; s/\[[^]]*\][[:space:]]*//' || true
  done
}

# Only the host's entries for our suite family (bookworm, bookworm-updates, bookworm-security).
suite_sources() {
  host_sources | awk -v s="$SUITE" '$3 == s || index($3, s "-") == 1'
}

# mmdebstrap with the slim options of sandbox.sh, the host's sources and (when present) the apt
# configuration this machine's Debian mirror needs, which is also left inside the image.
slim_mmdebstrap() {
  local target=$1; shift
  local -a mirrors opts
  mapfile -t mirrors < <(suite_sources)
  [ ${#mirrors[@]} -gt 0 ] || die "no apt sources for '$SUITE' found in /etc/apt/sources.list{,.d/*}"
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
  opts=(--variant=minbase --mode=root --aptopt='Acquire::Languages "none"'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*')
  if [ -f "$ARTIFACT_APT_CONF" ]; then
    opts+=(--aptopt="$ARTIFACT_APT_CONF"
      --customize-hook="copy-in $ARTIFACT_APT_CONF /etc/apt/apt.conf.d/")
  fi
  log "mmdebstrap $SUITE -> $target (${#mirrors[@]} sources)"
  mmdebstrap --quiet "${opts[@]}" "$@" "$SUITE" "$target" "${mirrors[@]}" \
    || die "mmdebstrap failed for $target"
}

# recipe_init OUT: checks the argument and sets TMP_OUT; finish_output renames it into place, so an
# interrupted recipe never leaves a half-written tarball at OUT.
recipe_init() {
  [ $# -eq 1 ] && [ -n "$1" ] || die "usage: $(basename "$0") OUTPUT.tar"
  OUT=$1
  mkdir -p "$(dirname "$OUT")" || die "cannot create $(dirname "$OUT")"
  TMP_OUT="$OUT.tmp"
  rm -f "$TMP_OUT"
}

finish_output() {
  [ -s "$TMP_OUT" ] || die "recipe produced no output at $TMP_OUT"
  mv -f "$TMP_OUT" "$OUT"
  log "wrote $OUT ($(du -h "$OUT" | cut -f1))"
}

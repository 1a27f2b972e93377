#!/bin/bash
# debian:bookworm — Debian minbase from the host's own apt sources, slimmed (no man pages, docs, locales).
# Usage: debian.sh OUTPUT.tar
RECIPE_NAME=debian
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar
finish_output

#!/bin/bash
# python — the debian rootfs plus python3-minimal and python3.11 (Python 3.11 with its standard library,
# so `python -m http.server` works), with `python` as an alias.
# Usage: python.sh OUTPUT.tar
RECIPE_NAME=python
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar --include=python3-minimal,python3.11,ca-certificates \
  --customize-hook='ln -sf python3 "$1/usr/bin/python"'
finish_output

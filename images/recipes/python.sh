#!/bin/bash
# python — the debian rootfs plus python3-minimal (Python 3.11 in bookworm), with `python` as an alias.
# Usage: python.sh OUTPUT.tar
RECIPE_NAME=python
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar --include=python3-minimal,ca-certificates \
  --customize-hook='ln -sf python3 "$1/usr/bin/python"'
finish_output

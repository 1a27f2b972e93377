#!/bin/bash
# nginx — the debian rootfs plus nginx-light; logs go to the container's stdout/stderr like the
# official image, so `docker logs` shows requests.
# Usage: nginx.sh OUTPUT.tar
RECIPE_NAME=nginx
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar --include=nginx-light,ca-certificates \
  --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log"' \
  --customize-hook='ln -sf /dev/stderr "$1/var/log/nginx/error.log"'
finish_output

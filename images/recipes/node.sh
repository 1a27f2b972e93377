#!/bin/bash
# node — Node.js 18 and npm from Debian bookworm (nodejs, npm), `node` as the default command.
# Usage: node.sh OUTPUT.tar
RECIPE_NAME=node
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar --include=nodejs,npm,ca-certificates
finish_output

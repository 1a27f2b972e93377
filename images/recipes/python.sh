#!/bin/bash
# python — Python 3.11 from Debian bookworm (python3, python3-pip, python3-venv) with the libraries the
# lessons use preinstalled from Debian packages, so they work without network: flask, redis, pymysql,
# psycopg2 and psycopg (3). `python` is an alias of python3 and pip is not marked "externally managed"
# (as in the official image), so `pip install flask` finds the preinstalled package instead of failing.
# Usage: python.sh OUTPUT.tar
RECIPE_NAME=python
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
slim_mmdebstrap "$TMP_OUT" --format=tar \
  --include=python3,python3.11,python3-pip,python3-venv,ca-certificates,python3-flask,python3-redis,python3-pymysql,python3-psycopg2,python3-psycopg \
  --customize-hook='ln -sf python3 "$1/usr/bin/python"' \
  --customize-hook='ln -sf pip3 "$1/usr/bin/pip"' \
  --customize-hook='rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED'
finish_output

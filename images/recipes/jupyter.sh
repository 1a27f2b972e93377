#!/bin/bash
# jupyter — Debian bookworm's Jupyter Notebook 6.4 (jupyter-notebook, python3-notebook) with numpy, pandas
# and matplotlib, laid out like the Jupyter Docker Stacks images (jupyter/datascience-notebook): user jovyan
# (uid 1000, gid 100), home /home/jovyan, work directory /home/jovyan/work, `start-notebook.sh` listening
# on 8888 on every interface and printing the URL with its access token in `docker logs`.
# python3-munkres satisfies python3-fonttools' "scipy | munkres" so apt does not pull scipy, pythran, g++ and boost.
# Usage: jupyter.sh OUTPUT.tar
RECIPE_NAME=jupyter
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

cat > "$work/start-notebook.sh" <<'SH'
#!/bin/bash
# muelle: the notebook server in the foreground on 0.0.0.0:8888 as jovyan; extra arguments go to it
# (e.g. `--NotebookApp.token=secret`). Started as root, it switches to jovyan first.
set -e
if [ "$(id -u)" = 0 ]; then
  find /home/jovyan -maxdepth 1 \! -user jovyan -exec chown jovyan:users '{}' +
  exec setpriv --reuid=jovyan --regid=users --init-groups env HOME=/home/jovyan USER=jovyan "$BASH_SOURCE" "$@"
fi
exec jupyter notebook --no-browser --ip=0.0.0.0 --port=8888 "$@"
SH

slim_mmdebstrap "$TMP_OUT" --format=tar \
  --include=jupyter-notebook,python3-notebook,python3-ipykernel,python3-numpy,python3-pandas,python3-matplotlib,python3-munkres,ca-certificates \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid users --create-home --shell /bin/bash jovyan' \
  --customize-hook='mkdir -p "$1/home/jovyan/work" && chroot "$1" chown jovyan:users /home/jovyan/work' \
  --customize-hook="copy-in $work/start-notebook.sh /usr/local/bin/" \
  --customize-hook='chmod 755 "$1/usr/local/bin/start-notebook.sh"' \
  --customize-hook='ln -sf python3 "$1/usr/bin/python"'
finish_output

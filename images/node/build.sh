#!/bin/bash
# The node rootfs shared (read-only, as an overlay lower layer) by every sandbox: Debian bookworm minbase
# plus the Docker engine and the tools a lesson uses. Built into OUTDIR.tmp and renamed when complete,
# so an interrupted build never leaves a half image at OUTDIR.
# Usage: build.sh OUTDIR          (exits 0 at once when OUTDIR is already a complete rootfs)
RECIPE_NAME=node
source "$(dirname "$0")/../lib/common.sh"

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $(basename "$0") OUTDIR"
OUTDIR=${1%/}
STAMP=.muelle-node-complete
if [ -f "$OUTDIR/$STAMP" ]; then log "$OUTDIR is already complete"; exit 0; fi
[ ! -e "$OUTDIR" ] || die "$OUTDIR exists but is not a complete node rootfs: remove it first"

WANTED="docker.io containerd runc tini iptables iproute2 iputils-ping procps psmisc ca-certificates curl
less vim-tiny git bash-completion netcat-openbsd dnsutils nano tree jq"
# Keep only packages the host's apt knows (they all are in bookworm; a later suite may drop some).
# One apt-cache call for all of them (one call per package costs ~0.7 s each).
known=" $(apt-cache madison $WANTED 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ') "
include=()
for p in $WANTED; do
  if [[ $known == *" $p "* ]]; then include+=("$p")
  else log "warning: package $p is not available, leaving it out"; fi
done
IFS=, ; pkgs="${include[*]}"; unset IFS

TMP="$OUTDIR.tmp"
rm -rf "$TMP"
mkdir -p "$(dirname "$OUTDIR")"
start=$(date +%s)
log "building the node rootfs in $TMP with ${#include[@]} extra packages"

BASHRC_HOOK='cat >> "$1/root/.bashrc" <<"RC"

# muelle: coloured prompt with the node name, e.g. [node1] /root #
PS1='"'"'\[\e[1;36m\][\h]\[\e[0m\] \[\e[1;34m\]\w\[\e[0m\] \$ '"'"'
alias ls="ls --color=auto" ll="ls -l --color=auto" grep="grep --color=auto"
[ -f /etc/bash_completion ] && . /etc/bash_completion
# Show the welcome once per terminal, not in nested shells.
if [ -z "${MUELLE_MOTD_SHOWN:-}" ] && [ -f /etc/motd ]; then cat /etc/motd; export MUELLE_MOTD_SHOWN=1; fi
RC'
MOTD_HOOK='cat > "$1/etc/motd" <<"MOTD"

  Welcome to your muelle node: a Linux sandbox with its own Docker engine.
  Try: docker run hello-world   |   docker images   |   docker ps -a
  Images come from the classroom registry (hello-world, busybox, debian, nginx, python).

MOTD'

slim_mmdebstrap "$TMP" --include="$pkgs" \
  --customize-hook="$BASHRC_HOOK" \
  --customize-hook="$MOTD_HOOK" \
  --customize-hook='rm -f "$1/etc/hostname"; : > "$1/etc/machine-id"'

for bin in dockerd containerd runc tini bash; do
  [ -n "$(find "$TMP/usr/bin" "$TMP/usr/sbin" "$TMP/bin" -maxdepth 1 -name "$bin" 2>/dev/null)" ] \
    || die "the node rootfs has no $bin"
done
date -u +%FT%TZ > "$TMP/$STAMP"
mv "$TMP" "$OUTDIR"
log "node rootfs ready at $OUTDIR ($(du -sh "$OUTDIR" | cut -f1), $(( $(date +%s) - start )) s)"

#!/bin/bash
# The node rootfs shared (read-only, as an overlay lower layer) by every sandbox: Debian trixie minbase plus
# the Docker engine (docker.io 26.1 with the compose v2 and buildx plugins) and the tools a lesson uses,
# from the host's own mirrors with the suite renamed (a bookworm host needs no trixie entry). Built into OUTDIR.tmp and renamed when complete,
# so an interrupted build never leaves a half image at OUTDIR.
# Usage: build.sh OUTDIR          (exits 0 at once when OUTDIR is already a complete rootfs)
RECIPE_NAME=node
source "$(dirname "$0")/../lib/common.sh"
# The node's own suite: MUELLE_NODE_SUITE, else trixie (the catalog images stay on MUELLE_SUITE/bookworm).
# MUELLE_NODE_SUITE=bookworm builds the former node (docker.io 20.10, no compose v2 or buildx).
SUITE=${MUELLE_NODE_SUITE:-trixie}

# When the host lists no apt source for $SUITE (trixie on a bookworm host), the host's own mirrors with
# its suite family renamed (bookworm-security -> trixie-security ...): no mirror name is hard-coded.
suite_sources() {
  local own base
  own=$(host_sources | awk -v s="$SUITE" '$3 == s || index($3, s "-") == 1')
  if [ -n "$own" ]; then printf '%s\n' "$own"; return 0; fi
  base=$(host_sources | awk '$3 !~ /-/ { print $3; exit }')
  [ -n "$base" ] || return 0
  host_sources | awk -v b="$base" -v s="$SUITE" \
    '$3 == b || index($3, b "-") == 1 { $3 = s substr($3, length(b) + 1); print }'
}

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $(basename "$0") OUTDIR"
OUTDIR=${1%/}
STAMP=.muelle-node-complete
if [ -f "$OUTDIR/$STAMP" ]; then log "$OUTDIR is already complete"; exit 0; fi
[ ! -e "$OUTDIR" ] || die "$OUTDIR exists but is not a complete node rootfs: remove it first"

WANTED="docker.io containerd runc tini iptables iproute2 iputils-ping procps psmisc ca-certificates curl
less vim-tiny git bash-completion netcat-openbsd dnsutils nano tree jq openssh-sftp-server"
# From trixie on, the engine comes with the compose v2 and buildx CLI plugins (bookworm's docker-compose
# is the old Python v1, and it has no docker-buildx).
[ "$SUITE" = bookworm ] || WANTED="$WANTED docker-cli docker-compose docker-buildx"
include=()
if [ -n "$(host_sources | awk -v s="$SUITE" '$3 == s')" ]; then
  # Keep only packages the host's apt knows (one apt-cache call for all: ~0.7 s each otherwise).
  known=" $(apt-cache madison $WANTED 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ') "
  for p in $WANTED; do
    if [[ $known == *" $p "* ]]; then include+=("$p")
    else log "warning: package $p is not available, leaving it out"; fi
  done
else
  # The host's apt does not know this suite: ask for every package (mmdebstrap fails on a missing one).
  read -r -a include <<<"$(echo $WANTED)"
fi
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
  Images come from the classroom registry: hello-world busybox debian nginx httpd mariadb
  postgres redis node python jupyter.

MOTD'

slim_mmdebstrap "$TMP" --include="$pkgs" \
  --customize-hook="$BASHRC_HOOK" \
  --customize-hook="$MOTD_HOOK" \
  --customize-hook='rm -f "$1/etc/hostname"; : > "$1/etc/machine-id"'

bins="dockerd containerd runc tini bash"
[ "$SUITE" = bookworm ] || bins="$bins docker-compose docker-buildx"
for bin in $bins; do
  [ -n "$(find "$TMP/usr/bin" "$TMP/usr/sbin" "$TMP/bin" "$TMP/usr/libexec/docker/cli-plugins" \
    -maxdepth 1 -name "$bin" 2>/dev/null)" ] \
    || die "the node rootfs has no $bin"
done
# `scp` and `sftp` through muelle's SSH endpoint run the node's own SFTP server.
[ -x "$TMP/usr/lib/openssh/sftp-server" ] || die "the node rootfs has no /usr/lib/openssh/sftp-server"
date -u +%FT%TZ > "$TMP/$STAMP"
mv "$TMP" "$OUTDIR"
log "node rootfs ready at $OUTDIR ($(du -sh "$OUTDIR" | cut -f1), $(( $(date +%s) - start )) s)"

#!/usr/bin/env bash
# Installs what is missing and builds everything muelle needs; idempotent (a second run takes
# seconds). Used by scripts/start.sh and scripts/test.sh.
#   1. Debian packages: the engine that runs inside nodes, the registry, image build tools
#   2. the wasm32 toolchain, Trunk, wasm-bindgen and wasm-opt (WASM.md's recipe, offline)
#   3. the backend and sandbox-init (release build), the front end (trunk build --offline)
#   4. the node image and the catalog images, pushed to the local registry
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive

APT_PKGS="docker.io containerd runc iptables iproute2 mmdebstrap busybox-static docker-registry uidmap curl sshpass openssh-sftp-server
  e2fsprogs gcc libc6-dev ca-certificates lxcfs ${MUELLE_EXTRA_APT:-}"
step "apt packages"
missing=$(for p in $APT_PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "installing: $missing"
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
else
  echo "all present"
fi
# lxcfs shows each node its own limits in /proc/meminfo, cpuinfo, stat, uptime… (`free` says
# 2 GiB, not the host's RAM). Debian's unit starts it under systemd; elsewhere start it here.
# A mount whose lxcfs died (a killed session, a CI runner that ended every process) answers
# "Transport endpoint is not connected": unmount it and start a fresh one.
lxcfs_live() { cat /var/lib/lxcfs/proc/uptime >/dev/null 2>&1; }
if ! lxcfs_live; then
  grep -q ' /var/lib/lxcfs fuse.lxcfs ' /proc/mounts && umount -l /var/lib/lxcfs 2>/dev/null
  mkdir -p /var/lib/lxcfs
  setsid lxcfs --enable-cfs --enable-loadavg /var/lib/lxcfs >>/var/log/lxcfs.log 2>&1 </dev/null &
  for _ in $(seq 1 20); do lxcfs_live && break; sleep 0.2; done
  lxcfs_live && echo "lxcfs started" || echo "warning: lxcfs did not start: nodes show the host's /proc/meminfo"
fi
# A host dockerd would set FORWARD to DROP and fight over iptables: none may run here.
if pgrep -x dockerd >/dev/null; then echo "warning: a host dockerd is running; muelle needs none"; fi

step "wasm32 toolchain"
TOOLCHAIN_ENV=()
if rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
  echo "rustup target wasm32-unknown-unknown present"
elif timeout 180 rustup target add wasm32-unknown-unknown; then
  echo "rustup target added"
else
  echo "rustup could not fetch the target: building Debian's rustc-web std for wasm32 instead"
  bash scripts/wasm-fallback.sh
  TOOLCHAIN_ENV=(RUSTUP_TOOLCHAIN=debian-web)
fi
want() { [ "$("$1" --version 2>/dev/null | awk '{print $2}')" = "$2" ]; }
if ! want trunk 0.21.14; then
  step "cargo install trunk 0.21.14 (one time, ~10 min)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install trunk --version =0.21.14 --locked
fi
WBG=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! want wasm-bindgen "$WBG"; then
  step "cargo install wasm-bindgen-cli $WBG (one time, ~4 min)"
  cargo install wasm-bindgen-cli --version "=$WBG" --locked || cargo install wasm-bindgen-cli --version "=$WBG" --force
fi
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != 132 ]; then
  step "npm: binaryen 132 (wasm-opt)"
  npm install -g --no-audit --no-fund --prefix /opt/binaryen-npm binaryen@132.0.0
  ln -sfn /opt/binaryen-npm/bin/wasm-opt /usr/local/bin/wasm-opt
fi

step "build: backend and sandbox-init (release)"
cargo build --release -p backend -p sandbox --bins

step "build: front end (trunk, offline; Trunk.toml at the top level)"
{ [ -d frontend/node_modules/@xterm/xterm ] && [ -d frontend/node_modules/@codemirror/view ] && [ -e frontend/node_modules/.bin/esbuild ]; } || (cd frontend && npm ci --no-audit --no-fund)
env "${TOOLCHAIN_ENV[@]}" trunk build --release --offline
echo "front end: $(cat frontend/dist/* 2>/dev/null | wc -c) bytes, $(for f in frontend/dist/*; do gzip -9c "$f"; done | wc -c) gzipped"

step "images: node rootfs, catalog images, local registry"
target/release/muelle images build --data-dir "$MUELLE_DATA_DIR"

step "setup done"

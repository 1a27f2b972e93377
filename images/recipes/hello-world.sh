#!/bin/bash
# hello-world — one tiny static binary (no libc start-up) that prints Docker's greeting and says it is
# muelle's local build. Needs gcc on the build machine.
# Usage: hello-world.sh OUTPUT.tar
RECIPE_NAME=hello-world
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
command -v gcc >/dev/null || die "gcc is needed to build hello-world (apt-get install gcc libc6-dev)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root"
cat > "$work/hello.c" <<'C'
#include <unistd.h>
#include <sys/syscall.h>
static const char msg[] =
  "\nHello from Docker!\n"
  "This message shows that your installation appears to be working correctly.\n"
  "(This hello-world image was built by muelle on this machine from Debian packages\n"
  " and is served by the classroom's own local registry.)\n\n"
  "To generate this message, Docker took the following steps:\n"
  " 1. The Docker client contacted the Docker daemon.\n"
  " 2. The Docker daemon pulled the \"hello-world\" image from the local registry.\n"
  " 3. The Docker daemon created a new container from that image which runs the\n"
  "    executable that produced the output you are currently reading.\n"
  " 4. The Docker daemon streamed that output to the Docker client, which sent it\n"
  "    to your terminal.\n\n"
  "To try something more ambitious, you can run a Debian container with:\n"
  " $ docker run -it debian bash\n\n";
void _start(void) { syscall(SYS_write, 1, msg, sizeof(msg) - 1); syscall(SYS_exit, 0); }
C
gcc -Os -static -nostartfiles -o "$work/root/hello" "$work/hello.c" || die "gcc failed"
strip "$work/root/hello"
tar --numeric-owner --owner=0 --group=0 -C "$work/root" -cf "$TMP_OUT" . || die "tar failed"
finish_output

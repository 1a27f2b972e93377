#!/bin/bash
# busybox — the static busybox binary of Debian's busybox-static with one symlink per applet.
# Uses the host's installed busybox-static, or downloads the package with apt-get when it is absent.
# Usage: busybox.sh OUTPUT.tar
RECIPE_NAME=busybox
source "$(dirname "$0")/../lib/common.sh"
recipe_init "$@"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,etc,tmp,root,home,var/spool/mail,usr/bin,usr/sbin,sbin,proc,sys,dev}
if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  cp /bin/busybox "$root/bin/busybox"
else
  log "busybox-static not installed on the host: downloading the package"
  (cd "$work" && apt-get download -q busybox-static) || die "apt-get download busybox-static failed"
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb" || die "cannot unpack busybox-static"
  cp "$work/deb/bin/busybox" "$root/bin/busybox"
fi
"$root/bin/busybox" true || die "the busybox binary does not run"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"; chmod 700 "$root/root"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$TMP_OUT" . || die "tar failed"
finish_output

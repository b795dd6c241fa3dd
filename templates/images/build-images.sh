#!/usr/bin/env bash
# busybox:latest and registry:2 for hosts with no Docker Hub (the sandbox's and the VM tier's),
# built from a Debian system's busybox-static and docker-registry packages (as root):
#
#   templates/images/build-images.sh SYSROOT OUTDIR
#
# SYSROOT is / for the sandbox (this machine's packages) or the VM image's tree
# (scripts/vm/build-image.sh). Writes OUTDIR/busybox.tar and OUTDIR/registry.tar for
# `docker import`. Each NAME.image file beside this script holds the image's reference on its
# first line and its `docker import -c` changes on the next ones; whoever imports reads them.
set -euo pipefail

[ $# = 2 ] || { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYSROOT=$(cd "$1" && pwd)
OUT=$2
mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# busybox: the static binary and a link per applet, where busybox itself would install them
B=$WORK/busybox
mkdir -p "$B/bin" "$B/etc" "$B/tmp" "$B/root" "$B/proc" "$B/sys" "$B/dev" "$B/var"
cp "$SYSROOT/bin/busybox" "$B/bin/busybox"
for applet in $("$B/bin/busybox" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$B/$(dirname "$applet")"
  ln -sf /bin/busybox "$B/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$B/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$B/etc/group"
chmod 1777 "$B/tmp"
tar -C "$B" --numeric-owner -cf "$WORK/busybox.tar" .

# registry:2 is Alpine-based upstream: busybox too, so `sh` and `docker exec <registry> test …`
# work in it as they do in the real image
R=$WORK/registry
cp -a "$B/." "$R/"
mkdir -p "$R/etc/docker/registry" "$R/var/lib/registry"
cp "$SYSROOT/usr/bin/docker-registry" "$R/bin/registry"
for lib in $(chroot "$SYSROOT" ldd /usr/bin/docker-registry 2>/dev/null | grep -o '/[^ ]*' || true); do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$SYSROOT$lib" "$R$lib"
done
cp "$HERE/registry-config.yml" "$R/etc/docker/registry/config.yml"
tar -C "$R" --numeric-owner -cf "$WORK/registry.tar" .

mv "$WORK/busybox.tar" "$WORK/registry.tar" "$OUT/"

#!/usr/bin/env bash
# VM tier: build the Debian bookworm base image the test VMs boot from (as root).
#
#   scripts/vm/build-image.sh              build, or print "cached" when the build exists
#   scripts/vm/build-image.sh --print-dir  print the cache directory of this script's build
#
# Output, in ${LAB_VM_CACHE:-/var/cache/lab-vm}/<first 16 hex of sha256(this file)>/:
#   base.img     ext4 file system (raw, 4 GiB sparse) holding the whole guest; VMs boot
#                from throw-away qcow2 overlays on it (scripts/vm/up.sh)
#   vmlinuz      the guest's Debian kernel (booted with -kernel)
#   initrd.img   a tiny initramfs made here: busybox + the virtio/ext4 modules, mounts
#                /dev/vda and starts systemd (Debian's own takes ~6 s more under TCG)
#   cmdline      kernel command line the image needs (up.sh appends the per-VM part)
#   packages.txt the guest's package list; build.txt the stage timings
# The image is booted once at build time ("bake": dockerd initialised, images imported,
# then powered off), so a VM's first boot has Docker ready without importing anything.
# Any edit of this file, of scripts/vm/guest/ (the guest's own programs, units and initramfs
# init) or of templates/images/ (the busybox and registry images, built by the same script as
# the sandbox's) changes the key, so a stale image is never reused. Downloaded .debs are kept in
# ${LAB_VM_CACHE}/debs (shared by builds), which only saves download time.
#
# The guest: Debian's linux-image-amd64 (802.1q, ipvlan, macvlan modules), systemd, sshd,
# docker.io. Per VM, at boot (see up.sh):
#   - kernel command line `lab.hostname=NAME lab.ip=A.B.C.D lab.netmask=255.255.255.0`:
#     hostname and the static address of ens33 (virtio NIC renamed by a systemd .link file),
#     applied by lab-vm-net.service;
#   - root's authorized key from QEMU's firmware config (`-fw_cfg name=opt/lab/authorized_keys,
#     file=KEY.pub`), so no key is baked into the image; login is by key only (no password);
#   - SSH host keys generated at first boot (each VM its own) and printed on the serial
#     console as `lab-vm-hostkey TYPE BASE64`, where up.sh reads them for known_hosts;
#   - busybox:latest and registry:2 are in Docker (imported during the bake from tarballs
#     built by templates/images/build-images.sh: there is no Docker Hub); once `docker info` works, lab-vm-images.service
#     prints `lab-vm-ready NAME` on the serial console.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
VM_TAG=build-image
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "$SELF")/lib.sh"
GUEST=$(dirname "$SELF")/guest
IMAGES=$VM_REPO/templates/images
# The cache key covers this script and every file it puts in the image (lib.sh only logs).
mapfile -t KEYED < <(find "$GUEST" "$IMAGES" -type f | LC_ALL=C sort)
KEY=$(cat "$SELF" "${KEYED[@]}" | sha256sum | cut -c1-16)
CACHE_ROOT=${LAB_VM_CACHE:-/var/cache/lab-vm}
OUT=$CACHE_ROOT/$KEY
SUITE=bookworm
SIZE=4G
PACKAGES=(linux-image-amd64 initramfs-tools systemd-sysv udev dbus openssh-server docker.io
  iproute2 iputils-ping busybox-static kmod docker-registry procps ca-certificates)

case ${1:-} in
  --print-dir) echo "$OUT"; exit 0 ;;
  "") ;;
  *) usage ;;
esac

T0=$VM_T0
STAGE_T=$T0
# stage NAME: ends the previous stage (prints its time) and records it for build.txt
TIMINGS=""
stage_done() {
  local t; t=$(since "$STAGE_T")
  log "$1: ${t}s"
  TIMINGS+="$1 ${t}s"$'\n'
  STAGE_T=$EPOCHREALTIME
}

# ---------------------------------------------------------------------------------------
# Host tools (also when the image is cached: up.sh boots it with them)
need=()
for t in debootstrap:debootstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils qemu-system-x86_64:qemu-system-x86 \
         socat:socat ssh:openssh-client ssh-keygen:openssh-client nsenter:util-linux; do
  command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "build-image: missing ${need[*]}: run as root to install them" >&2; exit 3; }
  log "installing host packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -f "$OUT/complete" ]; then
  echo "cached"
  log "image $OUT (checked in $(since "$T0")s)"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "build-image: run as root (debootstrap, chroot)" >&2; exit 3; }

# The Debian archive this machine's apt already uses (MIRROR / SECURITY_MIRROR override).
apt_uris() {   # prints "URI SUITE" for every deb source of this machine
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush() { if (deb && uris != "") { n = split(uris, u, " "); m = split(suites, s, " ");
                              for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j] }
                            deb = 0; uris = ""; suites = "" }
         /^[[:space:]]*$/ { flush(); next }
         /^[[:space:]]*#/ { next }
         tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
         tolower($1) == "uris:" { $1 = ""; uris = $0 }
         tolower($1) == "suites:" { $1 = ""; suites = $0 }
         END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\2 \3/p' "$f"
  done
}
SOURCES=$(apt_uris | grep -E '^(https?|file):' || true)
MIRROR=${MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$SOURCES")}
MIRROR=${MIRROR:-$(awk '$2 !~ /-security$/ && $1 ~ /debian\/?$/ { print $1; exit }' <<<"$SOURCES")}
SECURITY_MIRROR=${SECURITY_MIRROR:-$(awk -v s="$SUITE-security" '$2 == s { print $1; exit }' <<<"$SOURCES")}
MIRROR=${MIRROR%/}; SECURITY_MIRROR=${SECURITY_MIRROR%/}
[ -n "$MIRROR" ] || { echo "build-image: no Debian archive found in /etc/apt/sources.list*; set MIRROR=URL" >&2; exit 3; }
log "mirror $MIRROR${SECURITY_MIRROR:+ (security: $SECURITY_MIRROR)}"

# One build per key at a time; a second caller waits, then finds it cached.
mkdir -p "$CACHE_ROOT" "$CACHE_ROOT/debs"
exec 9>"$CACHE_ROOT/.$KEY.lock"
flock 9
if [ -f "$OUT/complete" ]; then echo "cached"; exit 0; fi

WORK=$CACHE_ROOT/$KEY.build
STAGE=$CACHE_ROOT/$KEY.tmp
ROOT=$WORK/rootfs
mounts_below() { awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r; }
unmount_all() {   # every mount below the work tree (ours, and debootstrap's if it was interrupted)
  local m
  for m in $(mounts_below); do umount -l "$m" || true; done
  return 0
}
cleanup() {
  unmount_all
  if [ -n "$(mounts_below)" ]; then
    echo "build-image: still mounted below $WORK, not removing it: $(mounts_below | tr '\n' ' ')" >&2
  elif [ -d "$WORK" ]; then
    rm -rf --one-file-system "$WORK"
  fi
  rm -rf "$STAGE"
  return 0
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
log "building $OUT"
stage_done "prepare"

# ---------------------------------------------------------------------------------------
# 1. debootstrap
debootstrap --variant=minbase --include=systemd-sysv,udev,dbus --cache-dir="$CACHE_ROOT/debs" \
  "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/debootstrap.log" >&2; echo "build-image: debootstrap failed" >&2; exit 1; }
stage_done "debootstrap"

# ---------------------------------------------------------------------------------------
# 2. packages, in a chroot where no daemon may start
{
  echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  [ -n "$SECURITY_MIRROR" ] && echo "deb $SECURITY_MIRROR $SUITE-security main"
} >"$ROOT/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"; chmod 755 "$ROOT/usr/sbin/policy-rc.d"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAcquire::Languages "none";\n' \
  >"$ROOT/etc/apt/apt.conf.d/90lab-vm"
# no docs, man pages or translations in the guest (smaller image, faster mkfs)
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/90lab-vm-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
# Debian's initramfs is not booted (see step 5); keep generating it cheap.
mkdir -p "$ROOT/etc/initramfs-tools/conf.d" "$ROOT/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$ROOT/etc/initramfs-tools/conf.d/lab-vm.conf"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >"$ROOT/usr/share/initramfs-tools/modules.d/lab-vm"

# /dev is a private tmpfs with a few nodes: never a bind of this machine's /dev.
mount -t proc proc "$ROOT/proc"
mount -t sysfs -o ro sysfs "$ROOT/sys"
mount -t tmpfs -o mode=755,size=16m devtmp "$ROOT/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r name ma mi <<<"$n"; mknod -m 666 "$ROOT/dev/$name" c "$ma" "$mi"
done
mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
ln -s /proc/self/fd "$ROOT/dev/fd"
mount --bind "$CACHE_ROOT/debs" "$ROOT/var/cache/apt/archives"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
chroot "$ROOT" apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; exit 1; }
stage_done "apt-get update"
DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get install -y -q "${PACKAGES[@]}" >>"$WORK/apt.log" 2>&1 \
  || { tail -40 "$WORK/apt.log" >&2; echo "build-image: apt-get install failed" >&2; exit 1; }
# shellcheck disable=SC2016  # dpkg-query's own ${…} format, not the shell's
chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' >"$WORK/packages.txt"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
stage_done "packages"

# The kernel must have what the labs need, and fw_cfg for the key.
KVER=$(find "$ROOT/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -1)
for m in 8021q ipvlan macvlan qemu_fw_cfg virtio_net; do
  find "$ROOT/lib/modules/$KVER" -name "$m.ko*" | grep -q . || grep -q "/$m.ko" "$ROOT/lib/modules/$KVER/modules.builtin" \
    || { echo "build-image: kernel $KVER has no $m module" >&2; exit 1; }
done

# ---------------------------------------------------------------------------------------
# 3. guest configuration
R=$ROOT
echo '/dev/vda / ext4 defaults,noatime 0 0' >"$R/etc/fstab"
echo lab-vm >"$R/etc/hostname"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
: >"$R/etc/resolv.conf"
usermod -R "$R" -p '*' root            # no password: login by key only
rm -f "$R"/etc/ssh/ssh_host_*           # generated per VM at first boot
cp "$GUEST/sshd-lab-vm.conf" "$R/etc/ssh/sshd_config.d/lab-vm.conf"
mkdir -p "$R/etc/systemd/network" "$R/etc/systemd/journald.conf.d"
printf '[Match]\nDriver=virtio_net\n\n[Link]\nName=ens33\nMACAddressPolicy=persistent\n' >"$R/etc/systemd/network/10-lab-vm-ens33.link"
printf '[Journal]\nStorage=volatile\n' >"$R/etc/systemd/journald.conf.d/lab-vm.conf"
# modules udev would load for QEMU's emulated PC that a test VM never uses (KVM, IDE, floppy,
# PS/2, CPU-accelerated crypto): each costs emulated CPU at boot. The lab's modules stay loadable.
printf 'blacklist %s\n' kvm kvm_amd kvm_intel ccp floppy ata_piix ata_generic pata_acpi i2c_piix4 \
  pcspkr psmouse serio_raw evdev joydev button aesni_intel crc32_pclmul ghash_clmulni_intel \
  sha1_ssse3 sha256_ssse3 sha512_ssse3 crct10dif_pclmul intel_rapl_msr intel_rapl_common \
  >"$R/etc/modprobe.d/lab-vm-blacklist.conf"

# the guest's own programs and units (scripts/vm/guest/, part of the cache key)
install -m 755 "$GUEST"/lab-vm-net "$GUEST"/lab-vm-keys "$GUEST"/lab-vm-images "$R/usr/local/sbin/"
install -m 644 "$GUEST"/lab-vm-*.service "$R/etc/systemd/system/"


chroot "$R" systemctl enable -q lab-vm-net.service lab-vm-keys.service lab-vm-images.service ssh.service docker.service
# Debian's registry service would hold :5000 (the lab runs registry:2 as a container); no
# consoles to log in on; no periodic jobs in a throw-away VM; nothing a test VM does not use
# (each costs seconds of emulated CPU at boot).
for u in docker-registry.service serial-getty@ttyS0.service getty@tty1.service \
         apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         dpkg-db-backup.timer man-db.timer systemd-pstore.service systemd-logind.service \
         modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service \
         modprobe@dm_mod.service modprobe@configfs.service sys-kernel-config.mount sys-kernel-debug.mount \
         sys-kernel-tracing.mount sys-fs-fuse-connections.mount dev-hugepages.mount; do
  ln -sf /dev/null "$R/etc/systemd/system/$u"
done
mkdir -p "$R/etc/systemd/system-generators"
for g in cryptsetup debug getty gpt-auto hibernate-resume integritysetup rc-local run system-update sysv veritysetup; do
  ln -sf /dev/null "$R/etc/systemd/system-generators/systemd-$g-generator"
done
stage_done "configure"

# ---------------------------------------------------------------------------------------
# 4. busybox:latest and registry:2 as tarballs for `docker import` at first boot, by the
# sandbox's own builder (templates/images/), from the guest's packages
mkdir -p "$R/opt/lab-vm"
"$IMAGES/build-images.sh" "$R" "$R/opt/lab-vm"
cp "$IMAGES"/*.image "$R/opt/lab-vm/"
stage_done "image tarballs"

# ---------------------------------------------------------------------------------------
# 5. initramfs: busybox and the modules that reach the root disk, in modules.dep order
mkdir -p "$STAGE"
IR=$R/tmp/lab-vm-initrd
mkdir -p "$IR/bin" "$IR/dev" "$IR/proc" "$IR/sys" "$IR/newroot" "$IR/lib/modules"
cp "$R/bin/busybox" "$IR/bin/busybox"
for m in virtio_pci virtio_blk crc32c_generic ext4; do
  chroot "$R" modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$R$ko" "$IR/lib/modules/"; basename "$ko" >>"$IR/modules"
done
install -m 755 "$GUEST/initrd-init" "$IR/init"
chroot "$R" sh -c 'cd /tmp/lab-vm-initrd && find . | sort | cpio -o -H newc -R 0:0 --quiet' >"$STAGE/initrd.img"
rm -rf "$IR"
cp -L "$R/boot/vmlinuz-$KVER" "$STAGE/vmlinuz"
stage_done "initramfs"

# ---------------------------------------------------------------------------------------
# 6. ext4 image from the tree (no loop device)
unmount_all
rm -f "$ROOT/usr/sbin/policy-rc.d"
mkfs.ext4 -q -F -L lab-vm-root -d "$R" "$STAGE/base.img" "$SIZE" >/dev/null
mv "$WORK/packages.txt" "$STAGE/packages.txt"
CMDLINE="console=ttyS0 root=/dev/vda rw quiet apparmor=0 selinux=0 mitigations=off panic=-1"
echo "$CMDLINE" >"$STAGE/cmdline"
rm -rf --one-file-system "$ROOT"
stage_done "mkfs.ext4"

# ---------------------------------------------------------------------------------------
# 7. bake: boot the image once (no NIC), let dockerd initialise and import the images, power off
timeout 900 qemu-system-x86_64 -name lvm-bake -nodefaults -no-user-config \
  -accel "${LAB_VM_ACCEL:-tcg,thread=multi,tb-size=256}" -cpu "${LAB_VM_CPU:-max}" -smp 1 -m 1024 \
  -display none -monitor none -serial "file:$WORK/bake.console" -no-reboot \
  -kernel "$STAGE/vmlinuz" -initrd "$STAGE/initrd.img" -append "$CMDLINE lab.bake=1" \
  -drive "file=$STAGE/base.img,if=virtio,format=raw,cache=writeback" -device virtio-rng-pci \
  || { tail -30 "$WORK/bake.console" >&2; echo "build-image: bake boot failed" >&2; exit 1; }
grep -aq '^lab-vm-baked' <(tr -d '\r' <"$WORK/bake.console") \
  || { tail -30 "$WORK/bake.console" >&2; echo "build-image: bake boot did not finish" >&2; exit 1; }
e2fsck -fy "$STAGE/base.img" >/dev/null 2>&1 || [ $? -le 1 ] || { echo "build-image: image damaged after the bake" >&2; exit 1; }
stage_done "bake boot"

TOTAL=$(since "$T0")
{
  echo "key $KEY"; echo "kernel $KVER"; echo "mirror $MIRROR"; echo "built $(date -u +%FT%TZ)"
  printf '%s' "$TIMINGS"; echo "total ${TOTAL}s"
} >"$STAGE/build.txt"
touch "$STAGE/complete"
rm -rf "$OUT"; mv "$STAGE" "$OUT"
# older builds (other keys) go: each is a GiB; the .deb cache stays
if [ "${LAB_VM_KEEP_OLD_IMAGES:-0}" != 1 ]; then
  for d in "$CACHE_ROOT"/*; do
    k=$(basename "$d")
    if [[ $k =~ ^[0-9a-f]{16}$ ]] && [ "$k" != "$KEY" ] && [ -f "$d/complete" ]; then
      rm -rf "$d" "$CACHE_ROOT/.$k.lock"; log "removed the older build $k"
    fi
  done
fi
log "image $OUT: $(du -h --apparent-size "$OUT/base.img" | cut -f1) ($(du -h "$OUT/base.img" | cut -f1) on disk), kernel $KVER, initrd $(du -h "$OUT/initrd.img" | cut -f1)"
log "total: ${TOTAL}s"

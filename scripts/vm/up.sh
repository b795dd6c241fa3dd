#!/usr/bin/env bash
# VM tier: boot Debian VMs (real kernels, QEMU/TCG) for `lab up --inventory` (as root).
#
#   scripts/vm/up.sh NAME:IP [NAME:IP ...]     e.g. up.sh docker01:192.168.1.11 docker02:192.168.1.13
#
# One VM per pair, each from a throw-away qcow2 overlay on the cached base image
# (scripts/vm/build-image.sh, built first when missing), all on one bridge inside a network
# namespace made for this, lvm-${LAB_VM_ID:-lab}. Each VM's ens33 carries IP/24 on that bridge;
# the namespace's bridge gets the highest free address of each /24 (.254) so it can reach
# them. Nothing is added to this machine's own network namespace: SSH goes through
#   nsenter --net=/run/netns/lvm-lab socat STDIO TCP:IP:22
# as a proxy command. Writes ${LAB_VM_DIR:-/tmp/lab-vm}/inventory.json (for `lab --inventory`)
# and DIR/lvm-ssh_config (`ssh -F /tmp/lab-vm/lvm-ssh_config docker01` opens a shell) with
# src/sandbox/vm-access-main.ts, the sandbox's own writer; known_hosts (DIR/lvm-known_hosts)
# gets each VM's host keys as the VM prints them on its serial console. Waits until every VM
# answers SSH and `docker info` works (with busybox:latest and registry:2 imported).
# Leftovers of an earlier run are removed first (scripts/vm/down.sh); on failure everything is
# removed again after printing the consoles' tails (LAB_VM_KEEP_ON_FAILURE=1 keeps them).
#
# Environment: LAB_VM_DIR, LAB_VM_ID (namespace lvm-ID), LAB_VM_CACHE (image cache),
# LAB_VM_MEM (MiB, default 1024), LAB_VM_BOOT_TIMEOUT (s, default 600),
# LAB_VM_ACCEL (default tcg,thread=multi,tb-size=256: /dev/kvm here cannot boot Debian kernels),
# LAB_VM_CPU (default max), LAB_VM_SMP (vCPUs, default 1: 2 was measured slower under TCG on
# 2 host cores, for boot and for Docker alike).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TAG="vm up"
# shellcheck source=scripts/vm/lib.sh
. "$HERE/lib.sh"
DIR=$VM_DIR ID=$VM_ID NS=$VM_NS
MEM=${LAB_VM_MEM:-1024}
TIMEOUT=${LAB_VM_BOOT_TIMEOUT:-600}
ACCEL=${LAB_VM_ACCEL:-tcg,thread=multi,tb-size=256}
CPU=${LAB_VM_CPU:-max}
SMP=${LAB_VM_SMP:-1}
T0=$VM_T0

[ $# -gt 0 ] || usage
need_root "network namespace, tap devices"
check_vm_id
TSX=$VM_REPO/node_modules/.bin/tsx
[ -x "$TSX" ] || die "no $TSX (it writes the inventory): run bash scripts/install-deps.sh"
[[ $MEM =~ ^[0-9]+$ ]] || die "LAB_VM_MEM must be MiB"
[[ $SMP =~ ^[1-8]$ ]] || die "LAB_VM_SMP must be 1..8"

# ---- arguments: NAME:IP pairs
NAMES=() IPS=()
declare -A SEEN=()
valid_ip() {
  local IFS=. o; local -a a
  read -r -a a <<<"$1"
  [ ${#a[@]} = 4 ] || return 1
  for o in "${a[@]}"; do [[ $o =~ ^(0|[1-9][0-9]{0,2})$ ]] && [ "$o" -le 255 ] || return 1; done
  [ "${a[3]}" != 0 ] && [ "${a[3]}" != 255 ]
}
for arg in "$@"; do
  name=${arg%%:*} ip=${arg#*:}
  [[ $arg == *:* && $name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "'$arg': want NAME:IP with NAME like docker01"
  valid_ip "$ip" || die "'$arg': '$ip' is not a host address"
  if [ -n "${SEEN[$name]:-}" ] || [ -n "${SEEN[$ip]:-}" ]; then die "'$arg': name or address given twice"; fi
  SEEN[$name]=1 SEEN[$ip]=1
  NAMES+=("$name") IPS+=("$ip")
done

for t in qemu-system-x86_64 qemu-img socat nsenter ssh ssh-keygen ip; do
  command -v "$t" >/dev/null || die "$t missing: apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils socat openssh-client util-linux iproute2"
done

# ---- leftovers, image
LAB_VM_DIR=$DIR LAB_VM_ID=$ID "$HERE/down.sh"
"$HERE/build-image.sh"
IMG=$("$HERE/build-image.sh" --print-dir)
[ -f "$IMG/complete" ] || die "no image in $IMG"
log "image $IMG"

mkdir -p "$DIR"; chmod 700 "$DIR"
DIR=$(cd "$DIR" && pwd)
KEY=$DIR/lvm-id_ed25519
KH=$DIR/lvm-known_hosts
: >"$KH"
ssh-keygen -q -t ed25519 -N '' -C "lab-vm-$ID" -f "$KEY" <<<y >/dev/null

failed=0
on_exit() {
  local rc=$?
  [ $rc = 0 ] && [ $failed = 0 ] && return 0
  local n
  for n in "${NAMES[@]}"; do
    [ -f "$DIR/lvm-$n.console" ] || continue
    echo "---- $n console (last 25 lines of $DIR/lvm-$n.console)" >&2
    tail -n 25 "$DIR/lvm-$n.console" | tr -d '\r' >&2
  done
  if [ "${LAB_VM_KEEP_ON_FAILURE:-0}" = 1 ]; then
    echo "up.sh: failed; VMs kept (LAB_VM_KEEP_ON_FAILURE=1), remove with scripts/vm/down.sh" >&2
  else
    echo "up.sh: failed; removing the VMs" >&2
    LAB_VM_DIR=$DIR LAB_VM_ID=$ID "$HERE/down.sh" >&2 || true
  fi
  exit 1
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---- network: namespace, bridge, one address per /24 for the namespace itself
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add lvm-br0 type bridge
ip -n "$NS" link set lvm-br0 up
declare -A NET_DONE=()
for ip in "${IPS[@]}"; do
  net=${ip%.*}
  [ -n "${NET_DONE[$net]:-}" ] && continue
  octet=254
  while [ -n "${SEEN[$net.$octet]:-}" ]; do octet=$((octet - 1)); done
  ip -n "$NS" addr add "$net.$octet/24" dev lvm-br0
  NET_DONE[$net]=1
done

# ---- VMs
BASE_CMDLINE=$(cat "$IMG/cmdline")
declare -A START=() PID=()
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]} ip=${IPS[$i]}
  tap=lvm-tap$i
  ip -n "$NS" tuntap add "$tap" mode tap
  ip -n "$NS" link set "$tap" master lvm-br0 up
  qemu-img create -q -f qcow2 -F raw -b "$IMG/base.img" "$DIR/lvm-$name.qcow2"
  IFS=. read -r _ o2 o3 o4 <<<"$ip"
  mac=$(printf '52:54:%02x:%02x:%02x:%02x' $((0x10 + i)) "$o2" "$o3" "$o4")
  machine_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  START[$name]=$EPOCHREALTIME
  ip netns exec "$NS" qemu-system-x86_64 \
    -name "lvm-$name,process=lvm-$name" -nodefaults -no-user-config \
    -accel "$ACCEL" -cpu "$CPU" -smp "$SMP" -m "$MEM" \
    -display none -monitor none -serial "file:$DIR/lvm-$name.console" \
    -daemonize -pidfile "$DIR/lvm-$name.pid" -no-reboot \
    -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
    -append "$BASE_CMDLINE systemd.machine_id=$machine_id lab.hostname=$name lab.ip=$ip lab.netmask=255.255.255.0" \
    -drive "file=$DIR/lvm-$name.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$mac" \
    -device virtio-rng-pci \
    -fw_cfg "name=opt/lab/authorized_keys,file=$KEY.pub"
  PID[$name]=$(cat "$DIR/lvm-$name.pid")
  log "$name: booting ($ip, mac $mac, qemu pid ${PID[$name]}, ${SMP} vCPU, ${MEM} MiB, $ACCEL)"
done

# ---- inventory (JSON for `lab --inventory`) and an ssh_config for people, by the same
# TypeScript function as the sandbox's (src/sandbox/access-files.ts)
pairs=()
for i in "${!NAMES[@]}"; do pairs+=("${NAMES[$i]}=${IPS[$i]}"); done
"$TSX" "$VM_REPO/src/sandbox/vm-access-main.ts" --netns "$NS" --identity "$KEY" --known-hosts "$KH" \
  --inventory "$DIR/inventory.json" --ssh-config "$DIR/lvm-ssh_config" "${pairs[@]}"

# ---- wait: "lab-vm-ready" on the serial console, then the real check over SSH
vssh() {   # vssh NAME COMMAND...
  local name=$1; shift
  timeout 90 ssh -F "$DIR/lvm-ssh_config" -o BatchMode=yes -o LogLevel=ERROR "$name" "$@"
}
pending=("${!NAMES[@]}")
declare -A READY=()
while [ ${#pending[@]} -gt 0 ]; do
  still=()
  for i in "${pending[@]}"; do
    name=${NAMES[$i]} ip=${IPS[$i]} console=$DIR/lvm-${NAMES[$i]}.console
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then failed=1; die "$name: QEMU exited during boot"; fi
    if grep -aq "^lab-vm-ready $name" <(tr -d '\r' <"$console"); then
      # host keys as the guest printed them on its own console: no trust-on-first-use
      tr -d '\r' <"$console" | awk -v ip="$ip" -v n="$name" '$1 == "lab-vm-hostkey" { print ip "," n, $2, $3 }' >>"$KH"
      if out=$(vssh "$name" 'docker info --format "{{.ServerVersion}}" && docker image inspect -f "{{.Id}}" busybox:latest registry:2 >/dev/null && hostname' 2>&1); then
        READY[$name]=$(since "${START[$name]}")
        rss=$(ps -o rss= -p "${PID[$name]}" | awk '{ printf "%d", $1 / 1024 }')
        log "$name: ready in ${READY[$name]}s (ssh + docker $(head -1 <<<"$out"), hostname $(tail -1 <<<"$out"); qemu RSS ${rss} MiB)"
        continue
      fi
      echo "$out" >&2
      failed=1; die "$name: printed lab-vm-ready but SSH/docker check failed"
    fi
    if [ "$(since "${START[$name]}" | cut -d. -f1)" -ge "$TIMEOUT" ]; then
      failed=1; die "$name: not ready after ${TIMEOUT}s"
    fi
    still+=("$i")
  done
  pending=(${still[@]+"${still[@]}"})
  [ ${#pending[@]} -eq 0 ] || sleep 1
done

total_rss=0
for name in "${NAMES[@]}"; do total_rss=$((total_rss + $(ps -o rss= -p "${PID[$name]}"))); done
log "all ${#NAMES[@]} VMs ready in $(since "$T0")s total; qemu RSS now $((total_rss / 1024)) MiB in all"
for name in "${NAMES[@]}"; do echo "boot-to-ready $name ${READY[$name]}s"; done
echo "inventory $DIR/inventory.json"

#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted commands are expanded on the VM, not here
# VM tier: prove the VMs of scripts/vm/up.sh have what the labs need (as root).
#
#   scripts/vm/smoke.sh [SSH_CONFIG]     default ${LAB_VM_DIR:-/tmp/lab-vm}/lvm-ssh_config
#
# Over OpenSSH with the ssh_config up.sh wrote (its key, strict known_hosts, proxy command),
# on each of its hosts:
#   - `modprobe 8021q && modprobe ipvlan`
#   - `ip link add link ens33 name ens33.10 type vlan id 10` (then deleted)
#   - `docker images` lists busybox:latest and registry:2
# then, between the VMs, a ping over VLAN 10: ens33.10 with ${LAB_VM_SMOKE_NET:-10.10.10}.N/24 on
# every VM, the first pings each other one and the last pings the first; the sub-interfaces
# are deleted afterwards (also on failure). Prints the time of each step; exits 1 on any failure.
set -uo pipefail

VM_TAG="vm smoke"
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR=$VM_DIR
CONFIG=${1:-$DIR/lvm-ssh_config}
NET=${LAB_VM_SMOKE_NET:-10.10.10}
[ -f "$CONFIG" ] || { echo "smoke.sh: no ssh_config $CONFIG (run scripts/vm/up.sh first)" >&2; exit 2; }
mapfile -t NAMES < <(awk '$1 == "Host" { print $2 }' "$CONFIG")
[ ${#NAMES[@]} -gt 0 ] || { echo "smoke.sh: no hosts in $CONFIG" >&2; exit 2; }

# control sockets; under DIR when it exists, so scripts/vm/down.sh removes any leftover
if [ -d "$DIR" ]; then CTL=$(mktemp -d "$DIR/lvm-smoke.XXXXXX"); else CTL=$(mktemp -d /tmp/lvm-smoke.XXXXXX); fi
vssh() {   # vssh NAME COMMAND: one multiplexed connection per VM (each step costs a channel, not a handshake)
  local name=$1; shift
  timeout 120 ssh -F "$CONFIG" -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=60 \
    -o ControlMaster=auto -o ControlPersist=120 -o ControlPath="$CTL/$name" "$name" "$@"
}

fail=0
step() {   # step NAME LABEL COMMAND: runs, times, prints, records failure
  local name=$1 label=$2 cmd=$3 t out rc
  t=$EPOCHREALTIME
  out=$(vssh "$name" "$cmd" 2>&1); rc=$?
  if [ $rc = 0 ]; then
    echo "  $name: $label ok ($(since "$t")s)${out:+ — $(tr '\n' ' ' <<<"$out" | cut -c1-120)}"
  else
    echo "  $name: $label FAILED ($(since "$t")s, exit $rc): $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
    return 1
  fi
}
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local n
  for n in "${NAMES[@]}"; do
    [ -S "$CTL/$n" ] || continue
    # only a sub-interface this script made (never one of a lab that is up)
    [ -f "$CTL/$n.vlan" ] && vssh "$n" 'ip link del ens33.10 2>/dev/null; true' >/dev/null 2>&1
    ssh -F "$CONFIG" -o ControlPath="$CTL/$n" -O exit "$n" >/dev/null 2>&1
  done
  rm -rf "$CTL"
}
trap cleanup EXIT

log "${#NAMES[@]} VM(s) from $INV"
for name in "${NAMES[@]}"; do
  t=$EPOCHREALTIME
  if vssh "$name" true; then log "$name: ssh connected ($(since "$t")s)"; else log "$name: ssh FAILED"; exit 1; fi
done

# per VM, all VMs at once
check_vm() {
  local name=$1 ok=0
  step "$name" "modprobe 8021q && modprobe ipvlan" 'modprobe 8021q && modprobe ipvlan && lsmod | awk '\''$1 == "8021q" || $1 == "ipvlan" { printf "%s ", $1 }'\''' || ok=1
  step "$name" "802.1q sub-interface ens33.10" \
    'if ip link show ens33.10 >/dev/null 2>&1; then echo "ens33.10 exists already (a lab is up?)"; exit 1; fi
     ip link add link ens33 name ens33.10 type vlan id 10 || exit 1
     ip -d link show ens33.10 | grep -o "vlan protocol 802.1Q id 10"; rc=$?
     ip link del ens33.10 && exit $rc' || ok=1
  step "$name" "docker images" \
    'imgs=$(docker images --format "{{.Repository}}:{{.Tag}}"); echo $imgs
     echo "$imgs" | grep -qx busybox:latest && echo "$imgs" | grep -qx registry:2' || ok=1
  return $ok
}
log "per-VM checks"
pids=()
for name in "${NAMES[@]}"; do check_vm "$name" >"$CTL/$name.out" 2>&1 & pids+=($!); done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || fail=1; cat "$CTL/${NAMES[$i]}.out"; done
log "per-VM checks done"

# VLAN 10 between the VMs
if [ ${#NAMES[@]} -lt 2 ]; then
  log "VLAN ping FAILED: needs two VMs"; fail=1
else
  log "VLAN 10 ping between VMs ($NET.0/24 on ens33.10)"
  for i in "${!NAMES[@]}"; do
    if step "${NAMES[$i]}" "ens33.10 = $NET.$((i + 1))/24" \
      "ip link add link ens33 name ens33.10 type vlan id 10 || exit 1
       ip addr add $NET.$((i + 1))/24 dev ens33.10 && ip link set ens33.10 up || { ip link del ens33.10; exit 1; }"
    then touch "$CTL/${NAMES[$i]}.vlan"; else fail=1; fi
  done
  last=$((${#NAMES[@]} - 1))
  for i in $(seq 1 $last); do
    step "${NAMES[0]}" "ping ${NAMES[$i]} over VLAN 10 ($NET.$((i + 1)))" "out=\$(ping -c 3 -i 0.3 -W 3 -I ens33.10 $NET.$((i + 1))); rc=\$?; echo \"\$out\" | tail -2 | head -1; exit \$rc" || fail=1
  done
  step "${NAMES[$last]}" "ping ${NAMES[0]} over VLAN 10 ($NET.1)" "out=\$(ping -c 3 -i 0.3 -W 3 -I ens33.10 $NET.1); rc=\$?; echo \"\$out\" | tail -2 | head -1; exit \$rc" || fail=1
  for name in "${NAMES[@]}"; do
    [ -f "$CTL/$name.vlan" ] || continue
    if step "$name" "delete ens33.10" 'ip link del ens33.10'; then rm -f "$CTL/$name.vlan"; else fail=1; fi
  done
fi

if [ $fail = 0 ]; then log "smoke PASSED"; else log "smoke FAILED"; fi
exit $fail

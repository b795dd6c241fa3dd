#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted commands are expanded on the VM, not here
# VM tier: prove the VMs of scripts/vm/up.sh have what the labs need (as root).
#
#   scripts/vm/smoke.sh [INVENTORY]     default ${LAB_VM_DIR:-/tmp/lab-vm}/inventory.json
#
# Over OpenSSH with the inventory's key, known_hosts (strict) and proxy command, on each VM:
#   - `modprobe 8021q && modprobe ipvlan`
#   - `ip link add link ens33 name ens33.10 type vlan id 10` (then deleted)
#   - `docker images` lists busybox:latest and registry:2
# then, between the VMs, a ping over VLAN 10: ens33.10 with ${LAB_VM_SMOKE_NET:-10.10.10}.N/24 on
# every VM, the first pings each other one and the last pings the first; the sub-interfaces
# are deleted afterwards (also on failure). Prints the time of each step; exits 1 on any failure.
set -uo pipefail

DIR=${LAB_VM_DIR:-/tmp/lab-vm}
INV=${1:-$DIR/inventory.json}
NET=${LAB_VM_SMOKE_NET:-10.10.10}
T0=$EPOCHREALTIME
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[vm smoke +$(since "$T0")s] $*"; }
[ -f "$INV" ] || { echo "smoke.sh: no inventory $INV (run scripts/vm/up.sh first)" >&2; exit 2; }
command -v node >/dev/null || { echo "smoke.sh: needs node to read the inventory" >&2; exit 2; }

# name, host, port, user, identity file, known_hosts, proxy command (shell-quoted), one host a line
READ_INVENTORY=$(cat <<'JS'
const inv = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const q = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
for (const [name, h] of Object.entries(inv.hosts)) {
  if (!h.proxy_command) throw new Error(`${name}: no proxy_command`);
  console.log([name, h.host ?? name, h.port ?? 22, h.user ?? "root", h.identity_file ?? "", inv.known_hosts ?? "", h.proxy_command.map(q).join(" ")].join("\t"));
}
JS
)
mapfile -t HOSTS < <(node -e "$READ_INVENTORY" "$INV") || { echo "smoke.sh: cannot read $INV" >&2; exit 2; }
[ ${#HOSTS[@]} -gt 0 ] || { echo "smoke.sh: no hosts in $INV" >&2; exit 2; }

# control sockets; under DIR when it exists, so scripts/vm/down.sh removes any leftover
if [ -d "$DIR" ]; then CTL=$(mktemp -d "$DIR/lvm-smoke.XXXXXX"); else CTL=$(mktemp -d /tmp/lvm-smoke.XXXXXX); fi
NAMES=()
declare -A SSH_ARGS=() ADDR=()
for line in "${HOSTS[@]}"; do
  IFS=$'\t' read -r name host port user key kh proxy <<<"$line"
  NAMES+=("$name")
  ADDR[$name]=$host
  # one multiplexed connection per VM: each step costs a channel, not a handshake
  SSH_ARGS[$name]="-p $port -l $user -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR
    -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=60
    -o ControlMaster=auto -o ControlPersist=120 -o ControlPath=$CTL/$name"
  [ -n "$key" ] && SSH_ARGS[$name]+=" -i $key"
  [ -n "$kh" ] && SSH_ARGS[$name]+=" -o UserKnownHostsFile=$kh"
  printf '%s\n' "$proxy" >"$CTL/$name.proxy"
done
vssh() {   # vssh NAME COMMAND
  local name=$1; shift
  # shellcheck disable=SC2086
  timeout 120 ssh ${SSH_ARGS[$name]} -o ProxyCommand="$(cat "$CTL/$name.proxy")" "${ADDR[$name]}" "$@"
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
    ssh -o ControlPath="$CTL/$n" -O exit "${ADDR[$n]}" >/dev/null 2>&1
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

#!/usr/bin/env bash
# Wall-clock figures for the README, on this machine's sandbox (root). Each figure is the
# median of RUNS runs (default 3). Reproduce with: bash scripts/bench.sh
# (`bash scripts/bench.sh cli`: only the CLI start figures, no root needed;
# `bash scripts/bench.sh scale [N...]`: the 2/10/40-host table, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
# Measure the code as it is now, not an older dist/.
npm run --silent build
lab() { node bin/lab.js "$@"; }
work=$(mktemp -d)
repo=$PWD
# Leave nothing behind: every bench lab is taken down, with its sandbox.
trap 'cd "$work" && for f in *.yaml; do node "$repo/bin/lab.js" down "$f" --sandbox >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
for f in single-network macvlan-netns two-host-vlan; do sed "s/^name: .*/name: bench-$f/" "labs/$f.yaml" > "$work/$f.yaml"; done
cd "$work"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
measure() { # name, setup-command, measured command...
  local name=$1 setup=$2; shift 2
  for _ in $(seq "$RUNS"); do eval "$setup" >/dev/null 2>&1 || true; seconds "$@"; done | median | xargs printf "%-58s %6.3f s\n" "$name"
}
L="$repo/bin/lab.js"

# A lab of N hosts: promiscuous NICs, a private registry on docker01 seeding busybox, which
# every other host pulls, and two containers per host on one macvlan network shared by all
# (N*2*(N*2-1) pings in its check).
big_lab() {
  local n=$1 i
  printf 'name: bench-big%s\ndefaults: { ssh: { user: root }, nic: ens33, persist: none }\nhosts:\n' "$n"
  for i in $(seq "$n"); do printf '  docker%02d: { address: 192.168.1.%d }\n' "$i" $((10 + i)); done
  printf 'promisc: true\nregistry: { host: docker01, images: [busybox:latest] }\n'
  printf 'networks:\n  net: { driver: macvlan, parent: ens33, subnets: [{ subnet: 172.22.0.0/16, gateway: 172.22.0.1 }] }\ncontainers:\n'
  for i in $(seq "$n"); do
    printf '  c%da: { host: docker%02d, network: net, ip: 172.22.%d.10, image: busybox:latest }\n' "$i" "$i" "$i"
    printf '  c%db: { host: docker%02d, network: net, ip: 172.22.%d.11, image: busybox:latest }\n' "$i" "$i" "$i"
  done
}
big_lab 40 > big40.yaml

# `bash scripts/bench.sh scale [N...]`: the big lab at N hosts (default 2 10 40) in the
# sandbox: up from nothing, a no-op up and a check, each with its wall time, lab's peak RSS,
# and the most SSH connections and remote commands any one host saw (--stats). The no-op and
# the check go through the sandbox's inventory, so only lab itself is timed.
stat_row() { # label, command...: one table row (the no-op and check rows: median of RUNS)
  local label=$1; shift
  local runs=$RUNS out wall rss conns cmds
  [ "$label" = "up from nothing" ] && runs=1
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f "TIME %e %M" "$@"; } 2>&1 ) || { printf '%s\n' "$out" | tail -5 >&2; }
    wall=$(printf '%s\n' "$out" | awk '/^TIME/ { print $2 }')
    rss=$(printf '%s\n' "$out" | awk '/^TIME/ { printf "%d", $3 / 1024 }')
    conns=$(printf '%s\n' "$out" | awk '/connection\(s\)/ { if ($2 > m) m = $2 } END { print m + 0 }')
    cmds=$(printf '%s\n' "$out" | awk '/remote commands/ { if ($4 > m) m = $4 } END { print m + 0 }')
    echo "$wall $rss $conns $cmds"
  done | sort -n | awk -v l="$label" -v n="$N" '{ a[NR] = $0 } END { split(a[int((NR + 1) / 2)], f, " "); printf "| %s | %s | %s s | %s MB | %s | %s |\n", n, l, f[1], f[2], f[3], f[4] }'
}
scale_table() { # sizes...
  echo "| hosts | what | wall | peak RSS of lab | SSH connections per host | remote commands per host |"
  echo "|---|---|---|---|---|---|"
  for N in "$@"; do
    big_lab "$N" > "big$N.yaml"
    node "$L" sandbox create "big$N.yaml" >/dev/null
    inventory=".lab/sandbox/bench-big$N/inventory.json"
    stat_row "up from nothing" node "$L" up "big$N.yaml" --sandbox --no-check --stats
    stat_row "no-op up --no-check" node "$L" up "big$N.yaml" --inventory "$inventory" --no-check --stats
    stat_row "check ($((N * 2 * (N * 2 - 1))) pings)" node "$L" check "big$N.yaml" --inventory "$inventory" --stats
    node "$L" down "big$N.yaml" --sandbox >/dev/null
  done
}
if [ "${1:-}" = scale ]; then
  shift
  [ $# -gt 0 ] || set -- 2 10 40
  scale_table "$@"
  exit 0
fi

# CLI start: no host is contacted.
measure "node -e 0 (this machine's floor)" ":" node -e 0
measure "lab --version" ":" node "$L" --version
measure "lab validate (single-network, 2 hosts)" ":" node "$L" validate single-network.yaml
measure "lab validate (40 hosts, 80 containers)" ":" node "$L" validate big40.yaml
measure "lab plan (40 hosts, 80 containers, 6,320 pings)" ":" node "$L" plan big40.yaml
[ "${1:-}" = cli ] && exit 0

measure "single-network: up from nothing (sandbox, dockerd, check)" "node \"$L\" down single-network.yaml --sandbox" node "$L" up single-network.yaml --sandbox
measure "single-network: second up (nothing to change, check)" ":" node "$L" up single-network.yaml --sandbox
measure "single-network: check only" ":" node "$L" check single-network.yaml --sandbox
measure "single-network: down (lab and sandbox)" "node \"$L\" up single-network.yaml --sandbox --no-check" node "$L" down single-network.yaml --sandbox
measure "macvlan-netns: up from nothing (12 pings)" "node \"$L\" down macvlan-netns.yaml --sandbox" node "$L" up macvlan-netns.yaml --sandbox
measure "two-host-vlan --vlan-standin: up from nothing (12 pings)" "node \"$L\" down two-host-vlan.yaml --sandbox" node "$L" up two-host-vlan.yaml --sandbox --vlan-standin

# The 2/10/40-host table (minutes: 40 hosts with sshd and dockerd each).
scale_table 2 10 40

#!/usr/bin/env bash
# Wall-clock figures for the README, on this machine's sandbox (root). Each figure is the
# median of RUNS runs (default 3). Reproduce with: bash scripts/bench.sh
# (`bash scripts/bench.sh cli`: only the CLI start figures, no root needed).
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

# A lab of N hosts, two containers each on one macvlan network (N*2*(N*2-1) pings in its plan).
big_lab() {
  local n=$1 i
  printf 'name: bench-big%s\ndefaults: { ssh: { user: root }, nic: ens33, persist: none }\nhosts:\n' "$n"
  for i in $(seq "$n"); do printf '  docker%02d: { address: 192.168.1.%d }\n' "$i" $((10 + i)); done
  printf 'networks:\n  net: { driver: macvlan, parent: ens33, subnets: [{ subnet: 172.22.0.0/16, gateway: 172.22.0.1 }] }\ncontainers:\n'
  for i in $(seq "$n"); do
    printf '  c%da: { host: docker%02d, network: net, ip: 172.22.%d.10, image: busybox:latest }\n' "$i" "$i" "$i"
    printf '  c%db: { host: docker%02d, network: net, ip: 172.22.%d.11, image: busybox:latest }\n' "$i" "$i" "$i"
  done
}
big_lab 40 > big40.yaml

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

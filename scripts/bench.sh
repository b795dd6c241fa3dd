#!/usr/bin/env bash
# Wall-clock figures for the README, on this machine's sandbox (root). Each figure is the
# median of RUNS runs (default 3). Reproduce with: bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
# Measure the code as it is now, not an older dist/.
npm run --silent build
lab() { node dist/cli/main.js "$@"; }
work=$(mktemp -d)
repo=$PWD
# Leave nothing behind: every bench lab is taken down, with its sandbox.
trap 'cd "$work" && for f in *.yaml; do node "$repo/dist/cli/main.js" down "$f" --sandbox >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
for f in single-network macvlan-netns two-host-vlan; do sed "s/^name: .*/name: bench-$f/" "labs/$f.yaml" > "$work/$f.yaml"; done
cd "$work"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
measure() { # name, setup-command, measured command...
  local name=$1 setup=$2; shift 2
  for _ in $(seq "$RUNS"); do eval "$setup" >/dev/null 2>&1 || true; seconds "$@"; done | median | xargs printf "%-58s %6.2f s\n" "$name"
}
L="$repo/dist/cli/main.js"
measure "single-network: up from nothing (sandbox, dockerd, check)" "node \"$L\" down single-network.yaml --sandbox" node "$L" up single-network.yaml --sandbox
measure "single-network: second up (nothing to change, check)" ":" node "$L" up single-network.yaml --sandbox
measure "single-network: check only" ":" node "$L" check single-network.yaml --sandbox
measure "single-network: down (lab and sandbox)" "node \"$L\" up single-network.yaml --sandbox --no-check" node "$L" down single-network.yaml --sandbox
measure "macvlan-netns: up from nothing (12 pings)" "node \"$L\" down macvlan-netns.yaml --sandbox" node "$L" up macvlan-netns.yaml --sandbox
measure "two-host-vlan --vlan-standin: up from nothing (12 pings)" "node \"$L\" down two-host-vlan.yaml --sandbox" node "$L" up two-host-vlan.yaml --sandbox --vlan-standin

#!/usr/bin/env bash
# The main job on the embedded default: bring labs/single-network.yaml up in the local
# sandbox (hosts as namespaces with their own sshd and dockerd, on this machine): macvlan
# network, private registry, push/pull, containers; then prove it with `lab check`.
# Needs root. Leaves the lab running; `node bin/lab.js down LAB --sandbox` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
lab=${1:-labs/single-network.yaml}
node bin/lab.js validate "$lab"
node bin/lab.js up "$lab" --sandbox --no-check
node bin/lab.js check "$lab" --sandbox
echo "demo: the lab is still up; look around with: ssh -F .lab/sandbox/$(sed -n 's/^name: *//p' "$lab" | head -1)/ssh_config docker01"
echo "demo: remove it with: node bin/lab.js down $lab --sandbox"

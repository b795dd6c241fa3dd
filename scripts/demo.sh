#!/usr/bin/env bash
# The main job on the embedded default: validate the sample lab and show what `lab up` would
# do on each host. (Later: bring it up in the local sandbox and run its check.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
lab=${1:-labs/two-host-vlan.yaml}
node dist/cli/main.js validate "$lab"
node dist/cli/main.js plan "$lab"

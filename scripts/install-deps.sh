#!/usr/bin/env bash
# Install what lab needs on a fresh Debian machine (as root): Node packages, then the build.
# Later tiers (sandbox, VMs) add their Debian packages here.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "install-deps: Node.js 20 or newer is required (apt-get install nodejs npm)" >&2
  exit 3
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

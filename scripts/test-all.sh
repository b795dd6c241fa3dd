#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root): installs, type-checks, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent typecheck
npx vitest run

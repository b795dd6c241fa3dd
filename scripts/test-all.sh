#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root): installs, type-checks, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent typecheck
mkdir -p .lab
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.lab/vitest-results.json || status=$?
# One plain closing line, whatever the reporter printed above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".lab/vitest-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"

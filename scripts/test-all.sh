#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root): installs, type-checks, runs
# the unit and sandbox tests, then the VM tier (real kernels under QEMU).
#   LAB_SKIP_VM=1 bash scripts/test-all.sh   # the inner loop: everything but the VM tier
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent typecheck
# The house rules first: a lint finding fails the run like a failing test.
status=0
bash scripts/lint.sh || status=1
mkdir -p .lab
rm -f .lab/vitest-*.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.lab/vitest-results.json || status=$?
if [ "${LAB_SKIP_VM:-0}" = 1 ]; then
  echo "VM tier skipped (LAB_SKIP_VM=1)"
else
  # The VM scripts install qemu and debootstrap themselves; the image is cached, keyed by the
  # hash of scripts/vm/build-image.sh and scripts/vm/guest/.
  npx vitest run --config vitest.vm.config.ts --reporter=default --reporter=json --outputFile.json=.lab/vitest-vm-results.json || status=$?
fi
# Every test removes the hosts it made: a namespace left behind is a bug, even when all passed.
leaked=$(ip netns list 2>/dev/null | awk '$1 ~ /^(lsb-t-|lvm-)/ { print $1 }' | tr '\n' ' ')
if [ -n "$leaked" ]; then
  echo "test-all: tests left network namespaces behind: $leaked" >&2
  status=1
fi
# One plain closing line over both runs, whatever the reporters printed above it.
# shellcheck disable=SC2016  # JavaScript, not shell
node -e '
  const fs = require("fs");
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const file of [".lab/vitest-results.json", ".lab/vitest-vm-results.json"]) {
    if (!fs.existsSync(file)) continue;
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
' || true
exit "$status"

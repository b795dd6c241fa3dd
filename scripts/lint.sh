#!/usr/bin/env bash
# The house rules, checked: ESLint (types, layers, cycles, size; eslint.config.js), Prettier
# (formatting) and shellcheck (every shell script in the repo). Run: npm run lint
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
npx eslint --max-warnings 0 . || status=1
npx prettier --check --log-level warn "src/**/*.ts" "test/**/*.ts" "*.ts" "*.js" || status=1
if command -v shellcheck >/dev/null 2>&1; then
  mapfile -t scripts < <(git ls-files '*.sh' '*.bash' .ci/run 'templates/sandbox/sbin/*' 'scripts/vm/guest/*' ':!*.service' ':!*.conf')
  shellcheck -x "${scripts[@]}" || status=1
else
  echo "lint: shellcheck is not installed (bash scripts/install-deps.sh installs it)" >&2
  status=1
fi
exit "$status"

#!/bin/sh
# npm's prepare: build dist/ before `npm pack` and for installs from a clone or a git URL.
set -e
cd "$(dirname "$0")/.."
# npm may run this twice at once for a git install (for the clone and for its link).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/lab-prepare-$(pwd | cksum | cut -d' ' -f1).lock"
  flock 9
fi
if [ -x node_modules/.bin/tsc ]; then
  npm run build
else
  # `npm install -g git+https://…` runs this in a clone without the dev dependencies
  # (npm/cli#8440: its inner install inherits --global). Emit the JavaScript with the pinned
  # TypeScript alone, without type-checking (every commit is type-checked in CI).
  typescript=$(node -p 'require("./package.json").devDependencies.typescript')
  rm -rf dist bundle   # a bundle from an earlier build would shadow the fresh dist/
  npm exec --global=false --yes --package="typescript@$typescript" -- tsc -p tsconfig.emit.json
fi

#!/bin/sh
# npm's prepare: build dist/ before `npm pack` and for installs from a clone or a git URL.
# `npm install -g git+https://…` runs this in a fresh clone whose dev dependencies it failed
# to install (npm/cli#8440: the inner install inherits --global), so install them here first.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  npm install --global=false --include=dev --no-save --ignore-scripts --no-audit --no-fund --loglevel=error
fi
npm run build

#!/bin/sh
# npm's prepare: build dist/ before `npm pack` and for installs from a clone or a git URL.
# `npm install -g git+https://…` runs this in a fresh clone whose dev dependencies it did not
# install (npm/cli#8440: the inner install inherits --global), and may run it twice at once
# there (for the clone and for its link): one at a time, and install them first.
set -e
cd "$(dirname "$0")/.."
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/lab-prepare-$(pwd | cksum | cut -d' ' -f1).lock"
  flock 9
fi
if [ ! -x node_modules/.bin/tsc ]; then
  npm install --global=false --include=dev --no-save --ignore-scripts --no-audit --no-fund --loglevel=error
fi
npm run build

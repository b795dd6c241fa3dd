#!/usr/bin/env bash
# Install what lab and its tests need on a fresh Debian machine (as root): the Debian
# packages the sandbox uses, the Node packages, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: sshd, tini and socat make the sandbox's hosts; ping runs the checks;
# sudo lets the tests log in as a non-root user; docker.io runs one dockerd per sandbox
# host, and busybox-static and docker-registry become its busybox:latest and registry:2;
# graphviz renders `lab graph --format dot` in its tests; tmux is the terminal (a pty with a
# size) the live-tree tests run lab in; zsh and fish run the completion scripts' tests;
# the shellcheck package lints every shell script (npm run lint); jq merges daemon.json in
# the handouts (lab plan --format sh) when they are run on sandbox hosts; chromium (headless,
# driven by puppeteer-core) loads the class report (lab class check --html) in its tests.
packages=(openssh-server openssh-client tini socat iproute2 iputils-ping util-linux sudo docker.io busybox-static docker-registry graphviz tmux zsh fish shellcheck jq chromium)
missing=()
# (dpkg -s succeeds for a removed package whose config files remain: ask for "installed".)
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 3
  fi
  # Package scripts must not start daemons (sshd) in this machine's own namespaces.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if ! command -v node >/dev/null 2>&1; then
  echo "install-deps: Node.js 20 or newer is required (apt-get install nodejs npm)" >&2
  exit 3
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

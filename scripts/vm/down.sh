#!/usr/bin/env bash
# VM tier: remove what scripts/vm/up.sh made (as root); safe to run any number of times.
#
#   scripts/vm/down.sh
#
# Stops the QEMU processes of ${LAB_VM_DIR:-/tmp/lab-vm} (by the pids in their pid files, and
# any process left inside the namespace), deletes the namespace lvm-${LAB_VM_ID:-lab} (its
# bridge and taps go with it), and removes the run files: DIR/lvm-* (overlays, consoles, pid
# files, key, known_hosts, ssh_config, smoke.sh control sockets) and DIR/inventory.json.
# Nothing else is touched; the image cache (scripts/vm/build-image.sh) is kept.
set -euo pipefail

VM_TAG="vm down"
# shellcheck source=scripts/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR=$VM_DIR NS=$VM_NS
check_vm_id
need_root "processes, network namespace"

pids=()
# QEMU processes from their pid files, if the pid is still that QEMU (its overlay is in DIR)
for f in "$DIR"/lvm-*.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f" 2>/dev/null || true)
  [[ $p =~ ^[0-9]+$ ]] || continue
  if [ -r "/proc/$p/cmdline" ] && tr '\0' '\n' <"/proc/$p/cmdline" | grep -q "^file=$DIR/lvm-.*\.qcow2"; then pids+=("$p"); fi
done
# anything still running inside our own namespace (only up.sh starts processes there)
if [ -e "/run/netns/$NS" ]; then
  for p in $(ip netns pids "$NS" 2>/dev/null || true); do
    [[ " ${pids[*]-} " == *" $p "* ]] || pids+=("$p")
  done
fi

if [ ${#pids[@]} -gt 0 ]; then
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi; done
fi

ns=0
if [ -e "/run/netns/$NS" ]; then ip netns del "$NS"; ns=1; fi

files=0
for f in "$DIR"/lvm-* "$DIR/inventory.json" "$DIR/inventory.json.tmp"; do
  [ -e "$f" ] || continue
  rm -rf "$f"; files=$((files + 1))
done
rmdir "$DIR" 2>/dev/null || true

log "stopped ${#pids[@]} process(es), removed $ns namespace ($NS), $files file(s) in $DIR"

# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this
# Sourced by the VM tier's scripts (build-image, up, smoke, down): the settings they share,
# timing, messages, usage from the calling script's header. Set VM_TAG before sourcing.
# Not part of the VM image's cache key (build-image.sh): nothing here reaches the image.

VM_DIR=${LAB_VM_DIR:-/tmp/lab-vm}
VM_ID=${LAB_VM_ID:-lab}
VM_NS=lvm-$VM_ID
VM_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_T0=$EPOCHREALTIME

# since T: seconds from $EPOCHREALTIME value T to now, one decimal
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[$VM_TAG +$(since "$VM_T0")s] $*"; }
die() { echo "$VM_TAG: $*" >&2; exit 1; }
# the calling script's header comment, as its help
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root ($1)"; }
check_vm_id() { [[ $VM_ID =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]] || die "LAB_VM_ID must be [a-z0-9-], at most 20 characters"; }

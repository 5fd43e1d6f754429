# Sourced by the provisioning scripts (scripts/provision-*.sh): the cache every build lands in, and messages tagged
# with the script's TAG (set before sourcing), errors naming what is missing and what it is needed for.
CACHE="${FRONTIER_REVIEW_CACHE:-$HOME/.cache/frontier-review}"
log() { echo "[$TAG] $*" >&2; }
die() { echo "[$TAG] ERROR: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed but is needed to $2"; }

#!/usr/bin/env bash
# Provisions SeaweedFS (Apache-2.0), the real S3-compatible server the S3 evidence-store tests run against, from the
# Go module proxy only. Found if present (SEAWEEDFS_PATH, `weed` on PATH, the cache), else built from the module's
# source and cached under ~/.cache/frontier-review/bin. Prints SEAWEEDFS_PATH=<binary> (progress goes to stderr).
#
# The module's go.mod has a replace directive, so `go install …@version` refuses it: the source is fetched with
# `go mod download` and built as the main module. A cold build downloads ~2 GB of modules and compiles ~1,500
# packages: minutes on a quiet machine, far more on a busy one; afterwards the cached binary is found at once.
set -euo pipefail

CACHE="${FRONTIER_REVIEW_CACHE:-$HOME/.cache/frontier-review}"
VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
MODULE="github.com/seaweedfs/seaweedfs"
BIN="$CACHE/bin/weed"
log() { echo "[provision] $*" >&2; }

if [[ -n "${SEAWEEDFS_PATH:-}" ]]; then
  [[ -x "$SEAWEEDFS_PATH" ]] || { echo "[provision] ERROR: SEAWEEDFS_PATH=$SEAWEEDFS_PATH is not an executable file" >&2; exit 1; }
  log "SeaweedFS from SEAWEEDFS_PATH: $SEAWEEDFS_PATH"; echo "SEAWEEDFS_PATH=$SEAWEEDFS_PATH"; exit 0
fi
if [[ -x "$BIN" && "$(cat "$BIN.version" 2>/dev/null)" == "$VERSION" ]]; then
  log "SeaweedFS cached: $BIN ($VERSION)"; echo "SEAWEEDFS_PATH=$BIN"; exit 0
fi
if command -v weed >/dev/null 2>&1; then
  log "SeaweedFS from PATH: $(command -v weed)"; echo "SEAWEEDFS_PATH=$(command -v weed)"; exit 0
fi

command -v go >/dev/null 2>&1 || { echo "[provision] ERROR: 'go' is not installed but is needed to build SeaweedFS ($MODULE@$VERSION) from the Go module proxy" >&2; exit 1; }
log "building SeaweedFS $VERSION from the Go module proxy (a cold build takes minutes)..."
started=$(date +%s)
dir="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$dir" && -d "$dir" ]] || { echo "[provision] ERROR: go mod download $MODULE@$VERSION gave no source directory" >&2; exit 1; }
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/" && chmod -R u+w "$work"
mkdir -p "$CACHE/bin"
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o "$BIN.tmp" ./weed) \
  || { echo "[provision] ERROR: building SeaweedFS failed (see the go output above)" >&2; exit 1; }
mv "$BIN.tmp" "$BIN"
echo "$VERSION" > "$BIN.version"
log "SeaweedFS built in $(( $(date +%s) - started )) s: $BIN"
echo "SEAWEEDFS_PATH=$BIN"

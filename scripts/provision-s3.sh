#!/usr/bin/env bash
# Provisions the real S3-compatible server the S3 evidence-store tests run against: Versity S3 Gateway (versitygw,
# Apache-2.0; its `posix` backend serves a directory as buckets and objects), from the Go module proxy only.
# Found if present (VERSITYGW_PATH, the cache, `versitygw` on PATH), else built with `go install` and cached under
# ~/.cache/frontier-review/bin with a version file. Prints VERSITYGW_PATH=<binary>; progress and errors go to stderr.
#
# Cold build (empty GOMODCACHE and GOCACHE, `go install`): 2 min 22 s on a quiet 2-core machine; 10 min 1 s on the same
# machine with a load average of 8-10 from parallel builds (4 min 25 s user + 39 s system CPU). It downloads 75 modules,
# ~105 MB of zips. (SeaweedFS, used before, needed ~2 GB of modules and ~1,500 packages: too long for CI on a new
# machine.)
#
# Settings: VERSITYGW_VERSION (default v1.8.0), FRONTIER_REVIEW_CACHE (default ~/.cache/frontier-review).
set -euo pipefail

TAG=provision
# shellcheck source=lib/provision-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/provision-common.sh"
VERSION="${VERSITYGW_VERSION:-v1.8.0}"
PKG="github.com/versity/versitygw/cmd/versitygw"
BIN="$CACHE/bin/versitygw"

if [[ -n "${VERSITYGW_PATH:-}" ]]; then
  [[ -x "$VERSITYGW_PATH" && -f "$VERSITYGW_PATH" ]] || die "VERSITYGW_PATH=$VERSITYGW_PATH is not an executable file"
  log "versitygw from VERSITYGW_PATH: $VERSITYGW_PATH"; echo "VERSITYGW_PATH=$VERSITYGW_PATH"; exit 0
fi
if [[ -x "$BIN" && "$(cat "$BIN.version" 2>/dev/null)" == "$VERSION" ]]; then
  log "versitygw cached: $BIN ($VERSION)"; echo "VERSITYGW_PATH=$BIN"; exit 0
fi
if command -v versitygw >/dev/null 2>&1; then
  log "versitygw from PATH: $(command -v versitygw)"; echo "VERSITYGW_PATH=$(command -v versitygw)"; exit 0
fi

command -v go >/dev/null 2>&1 \
  || die "'go' is not installed but is needed to build versitygw ($PKG@$VERSION) from the Go module proxy; install Go 1.24+ (Debian's golang package or https://go.dev/doc/install), or set VERSITYGW_PATH to a versitygw binary"
log "building versitygw $VERSION with go install (about 2½ minutes the first time on a quiet machine)..."
started=$(date +%s)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" go install -trimpath -ldflags='-s -w' "$PKG@$VERSION" >&2 \
  || die "go install $PKG@$VERSION failed (output above); is the Go module proxy reachable (GOPROXY=$(go env GOPROXY))?"
[[ -x "$tmp/versitygw" ]] || die "go install $PKG@$VERSION produced no versitygw binary in $tmp"
mkdir -p "$CACHE/bin"
# Moved into place, then the version written: an interrupted run never leaves a half binary marked as cached.
mv "$tmp/versitygw" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
echo "$VERSION" > "$BIN.version"
log "versitygw $VERSION built in $(( $(date +%s) - started )) s: $BIN"
echo "VERSITYGW_PATH=$BIN"

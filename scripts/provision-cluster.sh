#!/usr/bin/env bash
# Provisions the production-shaped Temporal cluster's binaries (`npm run cluster`, `npm run test:cluster`), from the
# Go module proxy only: Temporal server v1.29.1 (the version the CLI's dev server embeds) and its SQL schema tool,
# built with `go install`, plus the module's PostgreSQL schema files and config template copied beside them.
# Idempotent; the cache lives outside the repo (like provision-servers.sh), so fresh clones and CI reuse it.
# Prints the resolved paths as KEY=value lines; progress and errors go to stderr.
#
# Settings: TEMPORAL_SERVER_VERSION (default v1.29.1), FRONTIER_REVIEW_CACHE (default ~/.cache/frontier-review).
set -euo pipefail

TAG=cluster
# shellcheck source=lib/provision-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/provision-common.sh"
VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
MODULE="go.temporal.io/server"
SERVER="$CACHE/bin/temporal-server-$VERSION"
SQL_TOOL="$CACHE/bin/temporal-sql-tool-$VERSION"
FILES="$CACHE/temporal-server-$VERSION"

build() { # <binary path> <package> <what>
  local out="$1" pkg="$2" what="$3" tmp
  if [[ -x "$out" ]]; then log "$what cached: $out"; return; fi
  need go "build the $what (go install $pkg@$VERSION); install Go 1.24+ (https://go.dev/doc/install or Debian's golang package)"
  log "building the $what $VERSION with go install (a few minutes the first time)..."
  tmp="$(mktemp -d)"
  # GOBIN per build: both packages are named after their directory (server, sql), renamed below with the version.
  GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "$pkg@$VERSION" >&2 \
    || { rm -rf "$tmp"; die "go install $pkg@$VERSION failed (output above); is the Go module proxy reachable (GOPROXY=$(go env GOPROXY))?"; }
  mkdir -p "$(dirname "$out")"
  mv "$tmp/$(basename "$pkg")" "$out"; rm -rf "$tmp"
  log "$what built: $out"
}

build "$SERVER" "$MODULE/cmd/server" "Temporal server"
build "$SQL_TOOL" "$MODULE/cmd/tools/sql" "Temporal SQL tool"

# The schema files and the config template come from the same module (the build above downloaded it).
if [[ ! -f "$FILES/schema/postgresql/v12/temporal/schema.sql" || ! -f "$FILES/config/development-postgres12.yaml" ]]; then
  need go "locate the $MODULE@$VERSION module's schema files"
  log "copying the schema files and config template of $MODULE@$VERSION..."
  dir="$(GOFLAGS="${GOFLAGS:-} -mod=mod" go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' | head -1)"
  [[ -n "$dir" && -d "$dir/schema/postgresql/v12" ]] || die "go mod download $MODULE@$VERSION gave no module directory with schema/postgresql/v12"
  mkdir -p "$FILES/schema/postgresql" "$FILES/config"
  cp -r "$dir/schema/postgresql/v12" "$FILES/schema/postgresql/"
  cp "$dir/config/development-postgres12.yaml" "$FILES/config/"
  chmod -R u+w "$FILES" # the module cache is read-only; our copy need not be
fi

echo "TEMPORAL_SERVER_PATH=$SERVER"
echo "TEMPORAL_SQL_TOOL_PATH=$SQL_TOOL"
echo "TEMPORAL_SCHEMA_DIR=$FILES/schema/postgresql/v12"
echo "TEMPORAL_CONFIG_TEMPLATE=$FILES/config/development-postgres12.yaml"

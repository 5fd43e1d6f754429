#!/usr/bin/env bash
# Provisions the two Temporal servers the project needs, from the package registries only
# (the SDK's own run-time download cannot work without internet). Idempotent; the cache lives
# outside the repo so fresh clones and CI reuse it. Prints the resolved paths as KEY=value lines.
set -euo pipefail

TAG=provision
# shellcheck source=lib/provision-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/provision-common.sh"
CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
MAVEN_REPO="${MAVEN_REPO_URL:-https://repo.maven.apache.org/maven2}"
# Known-good temporal-test-server versions, newest first; the registry's newest release is tried before them.
FALLBACK_VERSIONS="1.38.0 1.33.0 1.32.1"
mkdir -p "$CACHE"


# --- Temporal CLI (dev server) ---------------------------------------------------------
cli=""
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { echo "[provision] ERROR: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  cli="$TEMPORAL_CLI_PATH"; log "Temporal CLI from TEMPORAL_CLI_PATH: $cli"
elif command -v temporal >/dev/null 2>&1; then
  cli="$(command -v temporal)"; log "Temporal CLI from PATH: $cli"
elif [[ -x "$CACHE/bin/temporal" ]]; then
  cli="$CACHE/bin/temporal"; log "Temporal CLI cached: $cli"
else
  need go "build the Temporal CLI dev server (go install github.com/temporalio/cli/cmd/temporal@$CLI_VERSION)"
  log "building Temporal CLI $CLI_VERSION with go install (first run takes a few minutes)..."
  GOBIN="$CACHE/bin" GOFLAGS="${GOFLAGS:-} -mod=mod" go install "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION"
  cli="$CACHE/bin/temporal"; log "Temporal CLI built: $cli"
fi

# --- Java time-skipping test server ---------------------------------------------------
launcher="$CACHE/test-server/temporal-test-server"
if [[ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]]; then
  launcher="$TEMPORAL_TEST_SERVER_PATH"; log "test server from TEMPORAL_TEST_SERVER_PATH: $launcher"
elif [[ -x "$launcher" && -s "$CACHE/test-server/classpath.txt" ]]; then
  log "Java test server cached: $launcher"
else
  need java "run the Temporal Java test server"
  need mvn "fetch the Temporal Java test server from Maven Central"
  dir="$CACHE/test-server"; mkdir -p "$dir"
  latest=""
  if command -v curl >/dev/null 2>&1; then
    latest="$(curl -fsS -m 30 "$MAVEN_REPO/io/temporal/temporal-test-server/maven-metadata.xml" 2>/dev/null | sed -n 's:.*<release>\(.*\)</release>.*:\1:p' | head -1 || true)"
  fi
  TEST_SERVER_VERSIONS="${TEMPORAL_TEST_SERVER_VERSIONS:-$latest $FALLBACK_VERSIONS}"
  resolved=""
  for v in $TEST_SERVER_VERSIONS; do
    log "resolving io.temporal:temporal-test-server:$v with Maven..."
    cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>frontier-review-test-server</artifactId><version>1</version>
  <dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$v</version></dependency></dependencies>
</project>
POM
    if mvn -q -B -f "$dir/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath.txt" >"$dir/mvn.log" 2>&1; then
      resolved="$v"; break
    fi
    log "  $v did not resolve (see $dir/mvn.log)"
  done
  [[ -n "$resolved" ]] || { echo "[provision] ERROR: no io.temporal:temporal-test-server version resolved from Maven Central (tried: $TEST_SERVER_VERSIONS)" >&2; exit 1; }
  echo "$resolved" > "$dir/version.txt"
  log "Java test server $resolved ready: $launcher"
fi

if [[ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ]]; then
  # Rewritten on every run so launcher changes reach existing caches. The SDK gives the server 5 s to come
  # up: a client-compiler-only JVM with the serial collector starts fastest on a small, busy machine.
  cat > "$launcher" <<'SH'
#!/usr/bin/env bash
# Launcher for the Temporal Java test server: <port> [--enable-time-skipping]
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec java ${TEMPORAL_TEST_SERVER_JAVA_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} -cp "$(cat "$here/classpath.txt")" io.temporal.testserver.TestServer "$@"
SH
  chmod +x "$launcher"
fi

echo "TEMPORAL_CLI_PATH=$cli"
echo "TEMPORAL_TEST_SERVER_PATH=$launcher"

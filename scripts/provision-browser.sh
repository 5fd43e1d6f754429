#!/usr/bin/env bash
# Finds (and if it can, installs) the Chromium the dashboard's browser tests drive through playwright-core.
# playwright never downloads a browser here (no internet beyond the package registries): Debian's chromium
# package is the source. Order: CHROMIUM_PATH, a chromium on the PATH, /usr/bin/chromium, then
# `apt-get install -y chromium` when this user may run it. Prints CHROMIUM_PATH=<path>.
set -euo pipefail

TAG=provision
# shellcheck source=lib/provision-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/provision-common.sh"
found() { log "Chromium: $1 ($("$1" --version 2>/dev/null | head -1 || echo 'version unknown'))"; echo "CHROMIUM_PATH=$1"; exit 0; }

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -x "$CHROMIUM_PATH" ]] || { echo "[provision] ERROR: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2; exit 1; }
  found "$CHROMIUM_PATH"
fi
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then found "$(command -v "$name")"; fi
done
[[ -x /usr/bin/chromium ]] && found /usr/bin/chromium

install_cmd="apt-get install -y chromium"
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "[provision] ERROR: Chromium is missing and installing it needs root: run  sudo apt-get update && sudo $install_cmd  (or set CHROMIUM_PATH)" >&2; exit 1
    fi
  fi
  log "Chromium is missing: installing Debian's chromium package (apt-get; a minute or two)..."
  if $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >&2; then
    [[ -x /usr/bin/chromium ]] && found /usr/bin/chromium
  fi
  echo "[provision] ERROR: installing chromium with apt-get failed (see above); install it and/or set CHROMIUM_PATH" >&2; exit 1
fi
echo "[provision] ERROR: Chromium is missing and there is no apt-get here: install Chromium (or Chrome) and set CHROMIUM_PATH to it" >&2
exit 1

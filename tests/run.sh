#!/usr/bin/env bash
# Install everything the tests need, then run them all (the README's test command; .ci/run calls it).
#   - Debian's chromium for the browser tests (apt-get; never `playwright install`)
#   - a virtualenv in .venv with runreport (editable) and its `test` extra
#   - Azurite (npm) in .venv/azurite, started by the tests that need it
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# Azurite (Azure Blob's emulator, from the npm registry) for the remote-storage tests
AZURITE=.venv/azurite/node_modules/azurite/dist/src/blob/main.js
if [ ! -f "$AZURITE" ]; then
  if ! command -v npm >/dev/null; then
    echo "installing Debian's nodejs and npm for Azurite"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "installing Azurite (npm) for the remote-storage tests"
  npm install --prefix .venv/azurite azurite@3 --no-audit --no-fund --silent
fi

.venv/bin/python -m pytest "$@"

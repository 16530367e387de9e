#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs before the demo or the tests: the npm packages
# (including the pinned Node the scripts then run on) and the build. Idempotent and quick when
# nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund
fi

# npm run puts node_modules/.bin first on PATH; do the same for this script's own steps.
export PATH="$PWD/node_modules/.bin:$PATH"
echo "setup: building with $(node --version)" >&2
node scripts/build.mjs

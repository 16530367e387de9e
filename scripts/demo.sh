#!/usr/bin/env bash
# The demo command: set-up, then a hybrid lifecycle through the built executable.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec node scripts/demo.ts

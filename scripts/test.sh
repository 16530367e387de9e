#!/usr/bin/env bash
# The one test command: set-up, then every tier (unit, integration, e2e, release) on the pinned Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec vitest run "$@"

#!/usr/bin/env bash
# The demo command: set-up, then a hybrid lifecycle through the built executable.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec node scripts/demo.ts

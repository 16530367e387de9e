#!/usr/bin/env bash
# The one test command: set-up, then every tier (unit, integration, e2e, release) on the pinned Node.
# The run gets a temporary directory of its own, and fails if anything is left in it at the end:
# every test and test server must remove what it creates.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# vitest colours even a pipe unless told not to; CI's log is a file.
[ -t 1 ] || export NO_COLOR=1
# Format and lint first: a second, and a finding names the file and the fix (npm run format).
biome ci --colors="$([ -t 1 ] && echo force || echo off)" --reporter=summary . >&2

run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/hybrid-cpi-test-run-XXXXXX")
status=0
TMPDIR="$run_tmp" vitest run "$@" || status=$?
if [ -n "$(ls -A "$run_tmp")" ]; then
  echo "The test run left these in its temporary directory (a test or a test server does not clean up):" >&2
  (cd "$run_tmp" && find . -mindepth 1 -maxdepth 2 | sort | sed 's/^/  /') >&2
  status=1
fi
rm -rf "$run_tmp"
exit "$status"

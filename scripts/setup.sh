#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs before the demo or the tests: the npm packages
# (including the pinned Node the scripts then run on) and the build. Idempotent and quick when
# nothing changed; quiet but for a line per step it takes, and whatever fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages of the test tiers and the demo: a real Ironic (python3-ironic; bcrypt for its
# htpasswd) and a real Keystone in front of it (python3-keystone), ISO tools that read back our
# config drives, nginx as the WebDAV image store, curl and GNU time for the stemcell benchmark's
# baseline, and ruby (ERB) to render the BOSH job's templates in the release tests.
DEBS=(python3-ironic python3-bcrypt python3-keystone xorriso genisoimage nginx-light curl time ruby)
missing=()
for deb in "${DEBS[@]}"; do dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'ok installed' || missing+=("$deb"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  # npm runs on the system's Node here, not on the pinned one that runs the packages afterwards:
  # its engine warnings (EBADENGINE) would be about the wrong Node, so only errors are shown.
  npm ci --no-audit --no-fund --loglevel=error
fi

source scripts/env.sh
node scripts/build.mjs

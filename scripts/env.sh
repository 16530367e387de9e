# Sourced by the project's scripts, from the repository root: the pinned Node first on PATH (as
# `npm run` does), and Node's compile cache (tsc and vitest turn it on) kept with the packages
# rather than in the temporary directory, which a test run must leave as it found it.
export PATH="$PWD/node_modules/.bin:$PATH"
export NODE_COMPILE_CACHE="$PWD/node_modules/.cache/node-compile-cache"

#!/usr/bin/env bash
# Runs a command with a given Node.js major version first in PATH, taken from the npm registry's
# `node` package (a normal npm package holding the official binary), so CI can test every
# supported LTS line and a developer whose machine has an older Node can still run the suite:
#
#   scripts/with-node.sh 24 npm test
#   scripts/with-node.sh 22 node_modules/vitest/vitest.mjs run test/api/seeds.test.ts
#
# The binary is installed once per major version under DELIVR_NODE_CACHE
# (default ~/.cache/delivr-node) and reused.
set -euo pipefail
major="${1:?usage: scripts/with-node.sh MAJOR COMMAND [ARGS...]}"
shift
[ $# -gt 0 ] || { echo "usage: scripts/with-node.sh MAJOR COMMAND [ARGS...]" >&2; exit 2; }
case "$major" in '' | *[!0-9]*) echo "with-node: MAJOR must be a number, got '$major'" >&2; exit 2 ;; esac

dir="${DELIVR_NODE_CACHE:-${HOME:-/tmp}/.cache/delivr-node}/node$major"
bin="$dir/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  mkdir -p "$dir"
  # The package's preinstall step puts the platform's binary in place: allow it explicitly.
  printf '{ "private": true, "allowScripts": { "node": true } }\n' >"$dir/package.json"
  echo "with-node: installing node@$major into $dir" >&2
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node@$major" >&2
fi
export PATH="$bin:$PATH"
exec "$@"

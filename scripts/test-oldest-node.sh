#!/usr/bin/env bash
# Runs the tests again on the oldest Node that each package's `engines` admits (`pnpm test` runs
# them on the pinned runtime, Node 24): the server and the contract suite on the server's oldest,
# the client on its own. Only the test process runs on the old Node: tools the tests start
# through a bin shim (Prism) keep the pinned runtime. The binaries come from the npm registry
# (node-<platform>-<arch>), kept in node_modules/.cache/node/<version>.
set -euo pipefail
cd "$(dirname "$0")/.."

# The lowest version a `>=X.Y.Z` engines range admits, padded to three numbers.
oldest_node() {
  node -p "const range = require('./$1/package.json').engines.node;
    const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range);
    if (!m) throw new Error('$1: engines.node must read >=X.Y.Z, not ' + range);
    [m[1], m[2] ?? 0, m[3] ?? 0].join('.')"
}

# The `node` binary of that version, fetched once.
node_binary() {
  local version=$1 dir="node_modules/.cache/node/$1"
  if [ ! -x "$dir/bin/node" ]; then
    local package tarball
    package="node-$(node -p 'process.platform + "-" + process.arch')@$version"
    mkdir -p "$dir"
    tarball=$(cd "$dir" && npm pack --silent "$package")
    tar -xzf "$dir/$tarball" -C "$dir" --strip-components=1
    rm "$dir/$tarball"
  fi
  echo "$PWD/$dir/bin/node"
}

# Runs the package's vitest on that binary: its workers and the servers tests start as children
# (`process.execPath`) run on it too.
run_vitest() {
  local binary=$1 package=$2
  shift 2
  echo "== $package on Node $("$binary" -v)"
  (cd "$package" && "$binary" node_modules/vitest/vitest.mjs run "$@")
}

server_node=$(node_binary "$(oldest_node apps/server)")
client_node=$(node_binary "$(oldest_node packages/client)")

run_vitest "$server_node" apps/server
run_vitest "$server_node" tests/contract
# Two of the client's tests host a server in their own process, which needs the server's Node;
# the other tests run on the client's oldest, and the consumer test runs its consumer (the packed
# client, installed outside the workspace, against a live server) on it.
run_vitest "$client_node" packages/client \
  --exclude test/consumer.test.ts --exclude test/server-stream.test.ts
UXMATE_CONSUMER_NODE="$client_node" run_vitest "$server_node" packages/client test/consumer.test.ts

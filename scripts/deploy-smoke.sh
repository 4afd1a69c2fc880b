#!/usr/bin/env bash
# Builds the server's deployable folder (pnpm deploy, production dependencies only), starts it
# with nothing from the workspace around it, and waits for /ready. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Node binary itself: the pinned runtime's `node` is a shell shim that starts it as a child,
# which `kill` on the shim's pid would leave running.
node_bin=$(node -p process.execPath)
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

pnpm --filter @uxmate/server build
pnpm --filter @uxmate/web build
pnpm --filter @uxmate/server deploy --legacy --prod "$work/app"
# The reference web app, beside the server as the image has it (served at /).
cp -r apps/web/dist "$work/app/web"

# The PostgreSQL store's modules are production dependencies, and the migrations run on their own.
for module in pg kysely better-sqlite3; do
  (cd "$work/app" && node -e "import('$module').catch((e) => { console.error(e.message); process.exit(1) })") \
    || { echo "deployed folder lacks $module" >&2; exit 1; }
done
(cd "$work" && DATA_DIR="$work/data" LOG_LEVEL=warn node app/dist/migrate.js)

# Open on all addresses without keys it refuses to start, naming the key command that exists in
# the deployed folder (no pnpm, no workspace there); that command works.
refusal=$(cd "$work/app" && HOST=0.0.0.0 DATA_DIR="$work/data" "$node_bin" dist/main.js 2>&1 || true)
grep -qF '`node dist/api-key.js <owner>`' <<<"$refusal" \
  || { echo "the deployed server's refusal does not name node dist/api-key.js: $refusal" >&2; exit 1; }
(cd "$work/app" && "$node_bin" dist/api-key.js smoke-test | grep -q 'sha256: ') \
  || { echo "node dist/api-key.js does not mint a key in the deployed folder" >&2; exit 1; }

# Through the deployed folder's start.sh, as the image and `pnpm start` run it (it execs node: the
# pid stays the server's).
port=$((20000 + RANDOM % 20000))
(cd "$work" && NODE_ENV=production PORT=$port DATA_DIR="$work/data" LOG_LEVEL=warn \
  NODE="$node_bin" exec sh app/start.sh) &
pid=$!

for _ in $(seq 1 50); do
  if answer=$(node -e "fetch('http://127.0.0.1:$port/ready').then(async (r) => {
      if (!r.ok) process.exit(1); console.log(await r.text()) }, () => process.exit(1))"); then
    echo "deployed server is ready: $answer"
    node -e "fetch('http://127.0.0.1:$port/').then(async (r) => {
        const page = await r.text()
        if (!r.ok || !page.includes('<div id=\"root\">')) process.exit(1) })" \
      || { echo "deployed server does not serve the web app at /" >&2; exit 1; }
    echo "deployed server serves the web app at /"
    exit 0
  fi
  sleep 0.2
done
echo "deployed server did not become ready on port $port" >&2
exit 1

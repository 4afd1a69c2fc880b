#!/bin/sh
# How the server runs in production: the image's CMD, `pnpm start`, a deployed folder and the
# bench all start it through this script, so its process settings live here and nowhere else
# (what each one saves and costs: docs/performance.md, "Memory").
#   sh start.sh                       # dist/main.js beside this script, with `node` on PATH
#   NODE=/path/to/node sh start.sh    # another Node binary (the bench runs its own)
#
# glibc hands freed blocks of 64 KiB and more (socket reads of an upload, upload buffers) back to
# the system instead of keeping them; an operator's own value wins.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-65536}"
# --max-semi-space-size=8: a young generation of 8 MiB semi-spaces (Node 24 lets them grow to 64).
# --max-old-space-size=512: V8 lets the old generation grow, before its next full collection, by
# a factor it picks from this limit: up to 4 with the default limit (2 GiB or more), ~1.4 at
# 512 MiB. Under load the old space then stays near 25-30 MiB instead of 50-80 (live: ~20).
# 512 MiB is ~20 times what the server keeps live, and more than the memory it is meant to run in.
# exec: the server is this process, so signals (SIGTERM from `docker stop`) reach it directly.
exec "${NODE:-node}" --max-semi-space-size=8 --max-old-space-size=512 "$(dirname "$0")/dist/main.js"

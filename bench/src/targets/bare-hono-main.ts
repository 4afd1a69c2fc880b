/**
 * The limit: a bare Hono app on @hono/node-server, the stack our server runs on, answering each
 * read route with the bytes our server answered (body and headers), from memory. No
 * validation, no store, no JSON: what is left is the cost of HTTP on Node and of Hono's
 * routing. Our server's throughput over this one's is the share of the machine's reachable
 * maximum that it gets.
 *
 * Env: PORT, BODIES_FILE (JSON of {@link CapturedBodies}).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { CapturedBodies, CapturedResponse } from './captured-bodies.ts'

const captured = JSON.parse(readFileSync(process.env.BODIES_FILE ?? '', 'utf8')) as CapturedBodies

/** A handler answering `response` verbatim, with a fresh X-Request-Id as our server sends. */
function replay(response: CapturedResponse) {
  const body = new TextEncoder().encode(response.body)
  return () =>
    new Response(body, { headers: { ...response.headers, 'X-Request-Id': randomUUID() } })
}

// A query parameter tells the two grouped reads apart: one lookup, as a router would do.
const grouped = replay(captured.grouped)
const pinnedGroup = replay(captured.grouped_pinned)

const app = new Hono()
  .get('/health', (c) => c.json({ status: 'ok' }))
  .get('/sessions/grouped', (c) =>
    c.req.query('pinned_group') === 'true' ? pinnedGroup() : grouped(),
  )
  .get('/sessions/:session_id', replay(captured.get))
  .get('/sessions', replay(captured.list))

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) })
process.on('SIGTERM', () => server.close(() => process.exit(0)))

/**
 * The limit: a bare Hono app on @hono/node-server, the stack our server runs on, answering each
 * read route with the bytes our server answered, from memory. No validation, no store, no
 * JSON: what is left is the cost of HTTP on Node and of Hono's routing. Our server's throughput
 * over this one's is the share of the machine's reachable maximum that it gets.
 *
 * Env: PORT, BODIES_FILE (JSON of {@link CapturedBodies}).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { CapturedBodies } from './captured-bodies.ts'

const bodies = JSON.parse(readFileSync(process.env.BODIES_FILE ?? '', 'utf8')) as CapturedBodies
const encoded = {
  get: new TextEncoder().encode(bodies.get),
  list: new TextEncoder().encode(bodies.list),
  grouped: new TextEncoder().encode(bodies.grouped),
}
// Our server sends a fresh X-Request-Id with every response: same header, same size, here.
const headers = () => ({ 'Content-Type': 'application/json', 'X-Request-Id': randomUUID() })

const app = new Hono()
  .get('/health', (c) => c.json({ status: 'ok' }))
  .get('/sessions/grouped', (c) => c.body(encoded.grouped, 200, headers()))
  .get('/sessions/:session_id', (c) => c.body(encoded.get, 200, headers()))
  .get('/sessions', (c) => c.body(encoded.list, 200, headers()))

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) })
process.on('SIGTERM', () => server.close(() => process.exit(0)))

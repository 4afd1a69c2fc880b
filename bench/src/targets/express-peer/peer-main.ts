/**
 * The peer: the same read routes on Express 5 with express-openapi-validator validating every
 * request against the same openapi.yaml, over the same SQLite file, answering the same JSON.
 * It is what a team would get from the most common Node stack with the same contract-first
 * promise; our server should beat it by a clear margin on every read.
 *
 * Env: PORT, DB_PATH, OPENAPI_PATH.
 */
import { randomUUID } from 'node:crypto'
import express, { type NextFunction, type Request, type Response } from 'express'
import * as OpenApiValidator from 'express-openapi-validator'
import { openPeerStore } from './peer-store.ts'
import {
  decodeCursor,
  ECHO_AGENT,
  encodeCursor,
  groupByRecency,
  isKnownTimeZone,
  toWireSession,
  toWireSummary,
} from './peer-wire.ts'

const store = openPeerStore(process.env.DB_PATH ?? '')
const app = express()
// Our server sends neither an ETag nor X-Powered-By: the peer should not pay for them either.
app.set('etag', false)
app.disable('x-powered-by')

app.use((_req, res, next) => {
  res.set('X-Request-Id', randomUUID())
  next()
})
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' })
})
app.use(
  OpenApiValidator.middleware({
    apiSpec: process.env.OPENAPI_PATH ?? '',
    validateRequests: true,
    validateResponses: false,
    // Not part of what is measured (writes, files, docs): let them 404 instead of erroring.
    ignoreUndocumented: true,
  }),
)

const query = (req: Request) => req.query as Record<string, string | number | undefined>

app.get('/sessions/grouped', (req, res) => {
  const { tz = 'UTC', agent_id, limit = 100 } = query(req)
  if (!isKnownTimeZone(String(tz))) {
    res.status(422).json({
      detail: [{ type: 'value_error', loc: ['query', 'tz'], msg: `Unknown time zone '${tz}'` }],
    })
    return
  }
  const agentId = agent_id as string | undefined
  const now = new Date()
  if (String(query(req).pinned_group) === 'true' && agentId === undefined) {
    // The bench's pinned-group read: the pinned sessions first, then the others.
    const pinned = store.recentSessions(undefined, Number(limit), true)
    const others = store.recentSessions(undefined, Number(limit), false)
    res.json({
      pinned: pinned.rows.map((row) => toWireSummary(row, pinned.activity.get(row.id))),
      time_to_sessions: groupByRecency(others.rows, others.activity, now, String(tz)),
    })
    return
  }
  const { rows, activity } = store.recentSessions(agentId, Number(limit))
  res.json({ time_to_sessions: groupByRecency(rows, activity, now, String(tz)) })
})

app.get('/sessions/:session_id', (req, res) => {
  const session = store.getSession(String(req.params.session_id))
  if (!session) {
    res.status(404).json({ detail: 'Session not found' })
    return
  }
  res.json(toWireSession(session))
})

app.get('/sessions', (req, res) => {
  const { agent_id, limit = 50, cursor } = query(req)
  const after = cursor === undefined ? undefined : decodeCursor(String(cursor))
  if (cursor !== undefined && !after) {
    res.status(422).json({ detail: [{ type: 'value_error', loc: ['query', 'cursor'] }] })
    return
  }
  if (agent_id !== ECHO_AGENT.id) {
    res.status(404).json({ detail: 'Agent not found' })
    return
  }
  const page = store.listSessions(String(agent_id), Number(limit), after)
  res.json({
    sessions: page.sessions.map(toWireSession),
    ...(page.next && { next_cursor: encodeCursor(page.next) }),
  })
})

app.use(
  (
    error: { status?: number; message?: string; errors?: unknown },
    _req: Request,
    res: Response,
    _next: NextFunction,
  ) => {
    // The contract answers 422 to a request that does not validate; the validator says 400.
    const status = error.status === 400 ? 422 : (error.status ?? 500)
    res.status(status).json({ detail: error.errors ?? error.message })
  },
)

const server = app.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))

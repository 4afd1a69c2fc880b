/**
 * Long conversations: what a turn costs our server on a session of 1,000 messages against one of
 * 10, with an agent on a model (an OpenAI-compatible fake in this process, answering at once),
 * so that the turn builds the model's input within its context window; and a page of 50
 * messages read from a 10,000-message session.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { BenchConfig } from '../config.ts'
import type { LoadSpec } from '../load/load-spec.ts'
import { runLoad } from '../load/run-load.ts'
import type { WriteRow } from '../report/results.ts'
import { seedMessageId, seedSessionId } from '../seed/seed-ids.ts'
import { startOurServer } from '../targets/start-targets.ts'
import { describeRound, measureInterleaved, progress } from './measure.ts'

/** Sessions per length: turns rotate over them, so no session is continued while it runs. */
const SESSIONS = 200
const LONG_FROM = 0
const SHORT_FROM = SESSIONS
const HUGE_INDEX = 2 * SESSIONS

/**
 * A fake Chat Completions server, answering at once: a short streamed reply with usage, or, to
 * a request that does not stream (a compaction, a title), a completion of a few words.
 */
function startFakeModel(): Promise<Server> {
  const reply = [
    { choices: [{ index: 0, delta: { role: 'assistant', content: 'Noted, ' } }] },
    { choices: [{ index: 0, delta: { content: 'go on.' }, finish_reason: 'stop' }] },
    { choices: [], usage: { prompt_tokens: 1000, completion_tokens: 3, total_tokens: 1003 } },
  ]
    .map(
      (chunk) =>
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', ...chunk })}\n\n`,
    )
    .join('')
  const completion = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'fake',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The user asks about the onboarding interviews.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 5000, completion_tokens: 9, total_tokens: 5009 },
  })
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const { stream } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean }
      if (stream) {
        response.writeHead(200, { 'Content-Type': 'text/event-stream' })
        response.end(`${reply}data: [DONE]\n\n`)
      } else {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end(completion)
      }
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Sessions `from`…`from + count - 1` of agent `llm`, each of `messages` messages. */
function seedConversations(db: Database.Database, from: number, count: number, messages: number) {
  const now = Date.now() - 3_600_000
  // One chain, each message the parent of the next, the last the active leaf: the branch the
  // session shows (messages without parents are on no branch, and a turn would see none).
  const session = db.prepare(
    `INSERT INTO sessions (id, owner, agent_id, name, status, created_at, updated_at, active_leaf_id)
     VALUES (?, 'anonymous', 'llm', ?, 'Ready', ?, ?, ?)`,
  )
  const message = db.prepare(
    `INSERT INTO messages (id, session_id, position, parent_id, role, text, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  // The seed's message ids hold 16 a session: these use ids of their own.
  const messageId = (index: number, position: number) =>
    position < 16 ? seedMessageId(index, position) : `${seedSessionId(index)}-${position}`
  for (let index = from; index < from + count; index++) {
    const id = seedSessionId(index)
    const name = `A conversation of ${messages} messages #${index}`
    session.run(id, name, now, now, messageId(index, messages - 1))
    for (let position = 0; position < messages; position++) {
      const user = position % 2 === 0
      message.run(
        messageId(index, position),
        id,
        position,
        position === 0 ? null : messageId(index, position - 1),
        user ? 'user' : 'assistant',
        user
          ? `Question ${position / 2} about the onboarding interviews: who said what about the first screen, and why?`
          : `Answer ${(position - 1) / 2}: three participants found the first screen too busy; two wanted to skip it.`,
        now - (messages - position) * 1000,
      )
    }
  }
}

/**
 * Seeds a data folder (migrated by our server first), then measures the three rows against a
 * server whose agent `llm` answers from the fake model.
 */
export async function runLongSessions(options: {
  config: BenchConfig
  main: string
  dataDir: string
  logDir: string
  workDir: string
}): Promise<WriteRow[]> {
  const { config, main, dataDir, logDir } = options
  await (await startOurServer({ main, dataDir, logDir, role: 'long-sessions server' })).stop()
  const db = new Database(join(dataDir, 'uxmate.sqlite'))
  db.pragma('synchronous = OFF')
  db.transaction(() => {
    seedConversations(db, LONG_FROM, SESSIONS, 1000)
    seedConversations(db, SHORT_FROM, SESSIONS, 10)
    seedConversations(db, HUGE_INDEX, 1, 10_000)
  })()
  db.close()
  progress(`seeded ${SESSIONS} sessions of 1,000 messages, ${SESSIONS} of 10, one of 10,000`)

  const model = await startFakeModel()
  const agentsFile = join(options.workDir, 'long-agents.yaml')
  const port = (model.address() as AddressInfo).port
  writeFileSync(
    agentsFile,
    `agents:\n  - id: llm\n    name: LLM\n    provider: openai\n    model: fake\n    base_url: http://127.0.0.1:${port}/v1\n    context_window: 8192\n    max_output_tokens: 1024\n`,
  )
  const ours = await startOurServer({
    main,
    dataDir,
    logDir,
    role: 'long-sessions server',
    // Without its read cache: the page is read from the store each time, as a first read is.
    env: { AGENTS_FILE: agentsFile, OPENAI_API_KEY: 'bench', READ_CACHE_BYTES: '0' },
  })
  const rows: WriteRow[] = []
  try {
    // Fewer connections than sessions by far: a session is continued again only long after.
    const connections = Math.min(config.connections, 8)
    const base = { baseUrl: ours.baseUrl, connections, durationS: config.durationS }
    const scenarios: Array<{ scenario: string; label: string; spec: (round: number) => LoadSpec }> =
      [
        ...[
          ['turn-10-messages', 'PUT /sessions/{id}, 10 messages, agent on a model', SHORT_FROM],
          ['turn-1000-messages', 'PUT /sessions/{id}, 1,000 messages, agent on a model', LONG_FROM],
        ].map(([scenario, label, from]) => ({
          scenario: scenario as string,
          label: label as string,
          spec: (round: number): LoadSpec => ({
            ...base,
            method: 'PUT',
            path: '/sessions/{id}',
            body: { kind: 'json', value: { text_prompt: 'And what did the others say?' } },
            rotateSeededSessions: {
              from: from as number,
              count: SESSIONS,
              start: Math.floor(((round + 1) * SESSIONS) / (config.rounds + 2)),
            },
            warmupS: config.warmupS,
            timeoutS: 30,
          }),
        })),
        {
          scenario: 'messages-page-10000',
          label: 'GET /sessions/{id}/messages?limit=50 (10,000 messages)',
          spec: () => ({
            ...base,
            connections: config.connections,
            method: 'GET',
            path: `/sessions/${seedSessionId(HUGE_INDEX)}/messages?limit=50&order=asc`,
            warmupS: config.warmupS,
            timeoutS: 30,
          }),
        },
      ]
    for (const { spec } of scenarios) {
      const first = spec(-1)
      if (!first.rotateSeededSessions) continue
      // One turn on every session first: a seeded long session is compacted on its first
      // turn; the rows measure the turns after, which reuse the note (or refresh it).
      await runLoad({
        ...first,
        amount: SESSIONS,
        warmupS: 0,
        rotateSeededSessions: { ...first.rotateSeededSessions, start: 0 },
      })
    }
    // Every row's rounds in turn (10, 1,000, page; 10, 1,000, page): the budget is a ratio of
    // two rows, and a neighbour's load on this shared machine, which swings from one minute
    // to the next, then weighs on both alike.
    const measured = await measureInterleaved(
      Object.fromEntries(scenarios.map(({ scenario, spec }) => [scenario, [ours, spec]])),
      config,
      (scenario, round, result) =>
        progress(`long sessions, ${scenario} #${round + 1}: ${describeRound(result)}`),
    )
    for (const { scenario, label } of scenarios)
      rows.push({
        kind: 'write',
        scenario,
        label,
        store: 'SQLite',
        sessions: 2 * SESSIONS + 1,
        ours: measured[scenario] as (typeof measured)[string],
      })
  } finally {
    await ours.stop()
    await new Promise((resolve) => model.close(resolve))
  }
  return rows
}

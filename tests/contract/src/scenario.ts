/**
 * A scripted run of every operation of openapi.yaml, reaching each documented status at least
 * once, against any way of sending requests to the real server (in-process, a socket, Prism's
 * proxy). Every response goes through `expectConformant`.
 */
import { randomUUID } from 'node:crypto'
import type { Session, SessionBusyResponse } from '@uxmate/contract'
import { expect } from 'vitest'
import { branchSteps, editForm } from './branch-scenario.ts'
import { expectConformant } from './conformance.ts'
import { sessionForm } from './fixtures.ts'
import { loadSpec } from './spec.ts'

export interface ScenarioTarget {
  /** Names the transport in coverage records: `in-process`, `socket`, `prism`. */
  via: string
  /** Sends a request to the server; `path` includes the query. */
  send(path: string, init?: RequestInit): Promise<Response>
  /**
   * Opens a session whose run keeps going until `finish()` (which resolves once the session has
   * left `Running`).
   */
  startBusySession(): Promise<{ sessionId: string; finish(): Promise<void> }>
  /** Starts the server's shutdown, after which `/ready` answers 503. */
  shutdown(): Promise<void>
  /**
   * Only requests that openapi.yaml allows (for a validating proxy, which answers invalid ones
   * itself). Default false.
   */
  validOnly?: boolean
  /**
   * Sends the requests that carry `files` parts, when `send` cannot: Prism 5 does not read
   * repeated multipart parts as an array (stoplightio/prism#2654) and rejects every valid
   * upload. Default: `send`.
   */
  sendWithFiles?: (path: string, init?: RequestInit) => Promise<Response>
  /** The server's limits, to cross them (413). */
  limits: { maxFileBytes: number; maxJsonBytes: number }
  /**
   * Holds the answers of requests with an `Idempotency-Key` before they are stored, so that the
   * same request sent again meets the first one's work done and its answer not stored (it gets
   * the outcome); `reached` resolves once a request is held. Targets that cannot reach into
   * the server leave it out.
   */
  holdAnswers?: () => { reached: Promise<void>; release(): void }
}

/**
 * Whether the document has this operation: steps for operations added later run only when the
 * document (or the copy `CONTRACT_OPENAPI` names) has them; the coverage gate insists on them.
 */
const documents = (operationId: string) =>
  loadSpec().operations.some((op) => op.operationId === operationId)

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'PUT',
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json', ...headers },
})

const del = (target: ScenarioTarget, sessionId: string, headers: Record<string, string> = {}) =>
  target.send(`/sessions/${sessionId}`, { method: 'DELETE', headers })

/** A request, as many times as needed: a fresh body every time (bodies are read once). */
type Replayable = () => [path: string, init: RequestInit]

interface KeyedStep {
  operationId: string
  status: number
  request: Replayable
}

/**
 * `Idempotency-Key` on every operation that takes one: the same request again gets the first
 * answer, marked `Idempotent-Replayed`; the key with another request is a 422; and, where the
 * target can hold an answer, the same request while the first is unanswered gets its outcome.
 */
async function idempotencySteps(target: ScenarioTarget, sessionId: string): Promise<void> {
  const { via } = target
  const keyed = (key: string, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'Idempotency-Key': key },
  })
  const disposable = async () =>
    (
      await expectConformant<Session>(
        'create_session_from_text',
        await target.send('/sessions/text', {
          method: 'POST',
          body: sessionForm({ agent_id: 'echo', text_prompt: 'A session to spend' }),
        }),
        { status: 200, via },
      )
    ).body.id
  const toDelete = await disposable()
  const current = await settle(target, sessionId)
  const reply = current.messages.findLast((m) => m.role === 'assistant')
  const feedbackPath = `/sessions/${sessionId}/messages/${reply?.id}/feedback`
  const [question, answer] = current.messages
  const onMessage = (id: string | undefined, action: string) =>
    `/sessions/${sessionId}/messages/${id}/${action}`
  const steps: KeyedStep[] = [
    {
      operationId: 'create_session_from_text',
      status: 200,
      request: () => [
        '/sessions/text',
        {
          method: 'POST',
          body: sessionForm({ agent_id: 'echo', text_prompt: 'Once, however often sent' }),
        },
      ],
    },
    {
      operationId: 'update_session',
      status: 200,
      request: () => [`/sessions/${sessionId}`, json({ text_prompt: 'Only once, please' })],
    },
    {
      operationId: 'rename_session',
      status: 200,
      request: () => [
        `/sessions/${sessionId}`,
        { ...json({ name: 'Named once' }), method: 'PATCH' },
      ],
    },
    {
      operationId: 'regenerate_session_message',
      status: 200,
      request: () => [onMessage(answer?.id, 'regenerate'), { method: 'POST' }],
    },
    {
      operationId: 'edit_session_message',
      status: 200,
      request: () => [
        onMessage(question?.id, 'edit'),
        { method: 'POST', body: editForm('Edited once, however often sent') },
      ],
    },
    {
      operationId: 'switch_session_branch',
      status: 200,
      request: () => [onMessage(answer?.id, 'switch'), { method: 'POST' }],
    },
    {
      operationId: 'fork_session',
      status: 201,
      request: () => [onMessage(answer?.id, 'fork'), { method: 'POST' }],
    },
    {
      operationId: 'cancel_session',
      status: 200,
      request: () => [`/sessions/${sessionId}/cancel`, { method: 'POST' }],
    },
    // Rated, then the rating withdrawn: in this order, so that there is one to withdraw.
    {
      operationId: 'rate_message',
      status: 200,
      request: () => [feedbackPath, json({ rating: 'up', comment: 'Once' })],
    },
    {
      operationId: 'delete_message_feedback',
      status: 204,
      request: () => [feedbackPath, { method: 'DELETE' }],
    },
    {
      operationId: 'delete_session',
      status: 204,
      request: () => [`/sessions/${toDelete}`, { method: 'DELETE' }],
    },
  ]
  const requests = steps.filter((step) => documents(step.operationId))

  for (const { operationId, status, request } of requests) {
    const key = randomUUID()
    const [path, init] = request()
    const first = await expectConformant(operationId, await target.send(path, keyed(key, init)), {
      status,
      via,
    })
    expect(first.headers.get('idempotent-replayed'), `${operationId}: a first answer`).toBeNull()
    const [againPath, againInit] = request()
    const again = await expectConformant(
      operationId,
      await target.send(againPath, keyed(key, againInit)),
      { status, via, headers: { 'Idempotent-Replayed': 'true' } },
    )
    expect(again.body, `${operationId}: the replay is the first answer`).toEqual(first.body)
    // The same key with another request (a rename to another name): refused, naming the header.
    const other = await expectConformant<{ detail: Array<{ loc: string[] }> }>(
      'rename_session',
      await target.send(
        `/sessions/${sessionId}`,
        keyed(key, { ...json({ name: `Not ${operationId}` }), method: 'PATCH' }),
      ),
      { status: 422, via },
    )
    expect(other.body.detail[0]?.loc).toEqual(['header', 'Idempotency-Key'])
  }

  const hold = target.holdAnswers
  if (!hold) return
  // The same request again while the first one's work is done but its answer not yet stored
  // (a retry after a lost answer): that work's outcome, with the same status, done once.
  const spare = await disposable()
  const inFlight: KeyedStep[] = [
    ...requests.filter((step) => step.operationId !== 'delete_session'),
    {
      operationId: 'delete_session',
      status: 204,
      request: () => [`/sessions/${spare}`, { method: 'DELETE' }],
    },
  ]
  for (const { operationId, status, request } of inFlight) {
    const key = randomUUID()
    const gate = hold()
    const [path, init] = request()
    const first = target.send(path, keyed(key, init))
    await gate.reached
    const [againPath, againInit] = request()
    const retried = await expectConformant(
      operationId,
      await target.send(againPath, keyed(key, againInit)),
      { status, via, headers: { 'Idempotent-Replayed': 'true' } },
    )
    gate.release()
    const answered = await expectConformant(operationId, await first, { status, via })
    if (status !== 204)
      expect(retried.body, `${operationId}: the retry shows what the first one did`).toEqual(
        answered.body,
      )
  }
}

/** Polls `get_session` until the session leaves `Running`. */
export async function settle(target: ScenarioTarget, sessionId: string): Promise<Session> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { body } = await expectConformant<Session>(
      'get_session',
      await target.send(`/sessions/${sessionId}`),
      { status: 200, via: target.via },
    )
    if (body.status !== 'Running') return body
    if (Date.now() > deadline) throw new Error(`Session ${sessionId} is still Running after 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Runs every operation, every documented status, through `target`, and checks each answer
 * against openapi.yaml (and a few semantics the statuses depend on).
 */
export async function runEveryOperation(target: ScenarioTarget): Promise<void> {
  const { via } = target
  const invalid = !target.validOnly
  const check = <T>(
    operationId: string,
    status: number,
    response: Response,
    headers?: Record<string, string>,
  ) => expectConformant<T>(operationId, response, { status, via, headers })

  // Service probes; the caller's request id is echoed.
  await check(
    'get_health',
    200,
    await target.send('/health', { headers: { 'X-Request-Id': 'contract-health' } }),
    {
      'X-Request-Id': 'contract-health',
    },
  )
  await check('get_readiness', 200, await target.send('/ready'))

  // create_session_from_text: 200 (waited), 202 (respond-async), 404, 413, 415, 422.
  const fileText = 'Meeting notes, 26 November.'
  const sendWithFiles = target.sendWithFiles ?? target.send
  const created = await check<Session>(
    'create_session_from_text',
    200,
    await sendWithFiles('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Summarise the attached notes.' }, [
        { name: 'notes.txt', type: 'text/plain', content: fileText },
      ]),
    }),
  )
  const session = created.body
  const file = session.messages[0]?.files?.[0]
  expect(file, 'the uploaded file is listed on the first message').toBeDefined()

  const accepted = await check<Session>(
    'create_session_from_text',
    202,
    await target.send('/sessions/text', {
      method: 'POST',
      headers: { Prefer: 'respond-async' },
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Answer later' }),
    }),
    { 'Preference-Applied': 'respond-async' },
  )
  await settle(target, accepted.body.id)

  await check(
    'create_session_from_text',
    404,
    await target.send('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'no-such-agent', text_prompt: 'Hello?' }),
    }),
  )
  if (invalid) {
    await check(
      'create_session_from_text',
      413,
      await target.send('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Too big' }, [
          { name: 'big.bin', content: new Uint8Array(target.limits.maxFileBytes + 1) },
        ]),
      }),
    )
    await check(
      'create_session_from_text',
      415,
      await target.send('/sessions/text', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ agent_id: 'echo', text_prompt: 'As JSON' }),
      }),
    )
    await check(
      'create_session_from_text',
      422,
      await target.send('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo' }),
      }),
    )
  }

  // get_session: 200, 404, 422.
  const fetched = await check<Session>(
    'get_session',
    200,
    await target.send(`/sessions/${session.id}`),
  )
  expect(fetched.body.id).toBe(session.id)
  await check('get_session', 404, await target.send(`/sessions/${randomUUID()}`))
  // Ids are opaque: one of any plausible shape that names nothing is 404, only one past the
  // documented limits (ResourceId) is 422.
  await check('get_session', 404, await target.send('/sessions/not-a-uuid'))
  if (invalid) await check('get_session', 422, await target.send(`/sessions/${'x'.repeat(129)}`))

  // get_session_messages: 200 (both orders, a page with a cursor), 404, 422.
  if (documents('get_session_messages')) {
    const newest = await check<{ messages: { id: string }[]; next_cursor?: string }>(
      'get_session_messages',
      200,
      await target.send(`/sessions/${session.id}/messages?limit=1`),
    )
    expect(newest.body.messages[0]?.id).toBe(session.messages.at(-1)?.id)
    expect(newest.body.next_cursor, 'older messages follow the newest').toBeDefined()
    const older = await check<{ messages: { id: string }[] }>(
      'get_session_messages',
      200,
      await target.send(
        `/sessions/${session.id}/messages?limit=1&cursor=${encodeURIComponent(newest.body.next_cursor ?? '')}`,
      ),
    )
    expect(older.body.messages[0]?.id).toBe(session.messages.at(-2)?.id)
    await check(
      'get_session_messages',
      200,
      await target.send(`/sessions/${session.id}/messages?order=asc&limit=200`),
    )
    await check(
      'get_session_messages',
      404,
      await target.send(`/sessions/${randomUUID()}/messages`),
    )
    if (invalid)
      await check(
        'get_session_messages',
        422,
        await target.send(`/sessions/${session.id}/messages?order=sideways`),
      )
  }

  // update_session: 200, 202, 404, 409, 413, 415, 422.
  const updated = await check<Session>(
    'update_session',
    200,
    await target.send(`/sessions/${session.id}`, json({ text_prompt: 'Now make it shorter.' })),
  )
  expect(updated.body.messages.length).toBeGreaterThan(session.messages.length)
  const later = await check<Session>(
    'update_session',
    202,
    await target.send(
      `/sessions/${accepted.body.id}`,
      json({ text_prompt: 'And later again' }, { Prefer: 'respond-async' }),
    ),
    { 'Preference-Applied': 'respond-async' },
  )
  await settle(target, later.body.id)
  await check(
    'update_session',
    404,
    await target.send(`/sessions/${randomUUID()}`, json({ text_prompt: 'Anyone?' })),
  )
  const busy = await target.startBusySession()
  try {
    const refused = await check<SessionBusyResponse>(
      'update_session',
      409,
      await target.send(`/sessions/${busy.sessionId}`, json({ text_prompt: 'Are you done?' })),
    )
    // The refusal names the run in progress and where to follow it.
    expect(refused.body.run_id).toEqual(expect.any(String))
    expect(refused.body.events_url).toBe(`/sessions/${busy.sessionId}/events`)
    // on_busy=interrupt: that run is cancelled and this turn takes the session.
    const interrupted = await check<Session>(
      'update_session',
      202,
      await target.send(
        `/sessions/${busy.sessionId}?on_busy=interrupt`,
        json({ text_prompt: 'Stop; do this instead.' }, { Prefer: 'respond-async' }),
      ),
      { 'Preference-Applied': 'respond-async' },
    )
    expect(interrupted.body.status).toBe('Running')
    expect(interrupted.body.messages.at(-1)?.text).toBe('Stop; do this instead.')
    // on_busy=enqueue: the turn waits (202 with its Location), listed on the session.
    const waiting = await check<Session>(
      'update_session',
      202,
      await target.send(
        `/sessions/${busy.sessionId}?on_busy=enqueue`,
        json({ text_prompt: 'After that, this.' }),
      ),
    )
    const [queuedTurn] = waiting.body.queued_turns ?? []
    expect(queuedTurn?.text).toBe('After that, this.')
    const queuePath = `/sessions/${busy.sessionId}/queue/${queuedTurn?.id}`
    // cancel_queued_turn: 204, then 404 (no longer queued), 422.
    await check('cancel_queued_turn', 204, await target.send(queuePath, { method: 'DELETE' }))
    await check('cancel_queued_turn', 404, await target.send(queuePath, { method: 'DELETE' }))
    if (invalid)
      await check(
        'cancel_queued_turn',
        422,
        await target.send(`/sessions/${busy.sessionId}/queue/not%20an%20id`, { method: 'DELETE' }),
      )
    if (documents('cancel_session')) {
      // cancel_session: 200 (stops the run), 404, 422.
      const cancelled = await check<Session>(
        'cancel_session',
        200,
        await target.send(`/sessions/${busy.sessionId}/cancel`, { method: 'POST' }),
      )
      expect(cancelled.body.status).toBe('Flushed')
      expect(cancelled.body.error?.code).toBe('cancelled')
    }
  } finally {
    await busy.finish()
  }
  if (documents('cancel_session')) {
    await check(
      'cancel_session',
      404,
      await target.send(`/sessions/${randomUUID()}/cancel`, { method: 'POST' }),
    )
    if (invalid)
      await check(
        'cancel_session',
        422,
        await target.send('/sessions/.nope/cancel', { method: 'POST' }),
      )
  }
  if (invalid) {
    await check(
      'update_session',
      413,
      await target.send(
        `/sessions/${session.id}`,
        json({ text_prompt: 'x'.repeat(target.limits.maxJsonBytes + 1) }),
      ),
    )
    await check(
      'update_session',
      415,
      await target.send(`/sessions/${session.id}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain' },
        body: 'Now make it shorter.',
      }),
    )
    await check('update_session', 422, await target.send(`/sessions/${session.id}`, json({})))
  }

  // get_sessions: 200 (two pages), 404, 422.
  const first = await check<{ sessions: Session[]; next_cursor?: string }>(
    'get_sessions',
    200,
    await target.send('/sessions?agent_id=echo&limit=1'),
  )
  expect(first.body.sessions).toHaveLength(1)
  expect(first.body.next_cursor, 'more sessions follow the first page').toBeDefined()
  await check(
    'get_sessions',
    200,
    await target.send(
      `/sessions?agent_id=echo&limit=1&cursor=${encodeURIComponent(first.body.next_cursor ?? '')}`,
    ),
  )
  await check('get_sessions', 404, await target.send('/sessions?agent_id=no-such-agent'))
  if (invalid) await check('get_sessions', 422, await target.send('/sessions?limit=5'))

  // get_grouped_sessions: 200, 422 (an unknown time zone is a valid string the server refuses).
  const grouped = await check<{ time_to_sessions: Record<string, unknown[]> }>(
    'get_grouped_sessions',
    200,
    await target.send('/sessions/grouped?tz=Europe%2FParis&agent_id=echo&limit=100'),
  )
  expect(Object.keys(grouped.body.time_to_sessions)).toContain('Today')
  await check('get_grouped_sessions', 422, await target.send('/sessions/grouped?tz=Mars%2FOlympus'))
  if (invalid)
    await check('get_grouped_sessions', 422, await target.send('/sessions/grouped?limit=0'))

  if (documents('search_sessions')) {
    // search_sessions: 200 (the turn above and the echo of it, a page each), 422 (nothing left
    // to find, a forged cursor; a limit out of range).
    type Hits = { hits: Array<{ session: { id: string }; snippet: string }>; next_cursor?: string }
    const hits = await check<Hits>(
      'search_sessions',
      200,
      await target.send('/sessions/search?q=make%20it%20short&limit=1'),
    )
    expect(hits.body.hits[0]?.session.id).toBe(session.id)
    expect(hits.body.hits[0]?.snippet).toMatch(
      /<mark>make<\/mark> <mark>it<\/mark> <mark>shorter<\/mark>/,
    )
    const cursor = encodeURIComponent(hits.body.next_cursor ?? '')
    expect(cursor, 'the echo of the turn follows').not.toBe('')
    const next = await check<Hits>(
      'search_sessions',
      200,
      await target.send(`/sessions/search?q=make%20it%20short&limit=1&cursor=${cursor}`),
    )
    expect(next.body.hits[0]?.session.id).toBe(session.id)
    // The list filters: the session is not archived, nor tagged so.
    const filtered = await check<Hits>(
      'search_sessions',
      200,
      await target.send('/sessions/search?q=shorter&archived=true&tag=none&metadata=a%3Db'),
    )
    expect(filtered.body.hits).toEqual([])
    await check('search_sessions', 422, await target.send('/sessions/search?q=-shorter'))
    await check('search_sessions', 422, await target.send('/sessions/search?q=a&cursor=forged'))
    if (invalid)
      await check('search_sessions', 422, await target.send('/sessions/search?q=a&limit=0'))
  }

  if (documents('export_sessions')) {
    // export_sessions, export_session: 200 (NDJSON, files as links or inline), 404, 422;
    // import_sessions: 200 (a line skipped: the owner has it; one invalid), 413, 415, 422.
    const ndjsonLines = (bytes: Uint8Array) =>
      new TextDecoder()
        .decode(bytes)
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Session)
    const all = await check<Uint8Array>(
      'export_sessions',
      200,
      await target.send('/sessions/export'),
    )
    expect(ndjsonLines(all.body).map((line) => line.id)).toContain(session.id)
    const one = await check<Uint8Array>(
      'export_session',
      200,
      await target.send(`/sessions/${session.id}/export?files=inline`),
    )
    const [line] = ndjsonLines(one.body)
    expect(line?.id).toBe(session.id)
    const inlined = line?.messages.flatMap((m) => m.files ?? []).find((f) => f.id === file?.id)
    expect(Buffer.from(inlined?.data_base64 ?? '', 'base64').toString()).toBe(fileText)
    await check('export_session', 404, await target.send(`/sessions/${randomUUID()}/export`))
    if (invalid) {
      await check('export_sessions', 422, await target.send('/sessions/export?files=attached'))
      await check(
        'export_session',
        422,
        await target.send(`/sessions/${session.id}/export?files=x`),
      )
    }
    const upload = (content: string | Uint8Array<ArrayBuffer>) => {
      const form = new FormData()
      form.append('file', new Blob([content], { type: 'application/x-ndjson' }), 'export.ndjson')
      return { method: 'POST', body: form }
    }
    const report = await check<{ skipped: number; invalid: number; lines: unknown[] }>(
      'import_sessions',
      200,
      await sendWithFiles(
        '/sessions/import',
        upload(`${new TextDecoder().decode(one.body)}{"id":"no-times","agent_id":"echo"}\n`),
      ),
    )
    expect([report.body.skipped, report.body.invalid]).toEqual([1, 1])
    // The same session under new ids, its file exported as a link: imported, the file left out.
    const [linked] = ndjsonLines(
      (
        await check<Uint8Array>(
          'export_session',
          200,
          await target.send(`/sessions/${session.id}/export`),
        )
      ).body,
    )
    const copy = {
      ...linked,
      id: randomUUID(),
      messages: linked?.messages.map((m) => ({
        ...m,
        id: randomUUID(),
        files: m.files?.map((f) => ({ ...f, id: randomUUID() })),
      })),
    }
    const copied = await check<{ imported: number; lines: Array<{ files_left_out?: number }> }>(
      'import_sessions',
      200,
      await sendWithFiles('/sessions/import', upload(`${JSON.stringify(copy)}\n`)),
    )
    expect(copied.body.imported).toBe(1)
    expect(copied.body.lines[0]?.files_left_out).toBe(1)
    const imported = await check<Session>(
      'get_session',
      200,
      await target.send(`/sessions/${copy.id}`),
    )
    expect(imported.body.messages.map((m) => m.text)).toEqual(linked?.messages.map((m) => m.text))
    await check(
      'import_sessions',
      422,
      await sendWithFiles('/sessions/import', upload(new Uint8Array([0xff, 0xfe, 0x00]))),
    )
    if (invalid) {
      await check(
        'import_sessions',
        413,
        await sendWithFiles(
          '/sessions/import',
          upload(new Uint8Array(target.limits.maxFileBytes + 1)),
        ),
      )
      await check(
        'import_sessions',
        415,
        await target.send('/sessions/import', {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: 'x',
        }),
      )
      await check(
        'import_sessions',
        422,
        await target.send('/sessions/import', { method: 'POST', body: new FormData() }),
      )
    }
  }

  // get_session_file: 200, 404, 422.
  const download = await check<Uint8Array>(
    'get_session_file',
    200,
    await target.send(`/sessions/${session.id}/files/${file?.id}`),
    { 'X-Content-Type-Options': 'nosniff' },
  )
  expect(new TextDecoder().decode(download.body)).toBe(fileText)
  expect(download.headers.get('content-disposition')).toMatch(/^attachment;.*notes\.txt/)
  await check(
    'get_session_file',
    404,
    await target.send(`/sessions/${session.id}/files/${randomUUID()}`),
  )
  if (invalid)
    await check('get_session_file', 422, await target.send(`/sessions/${session.id}/files/.nope`))

  // Conditional reads: each answer's ETag sent back as If-None-Match is a 304 without a body,
  // with the ETag and Cache-Control of the 200 (nothing was written in between).
  const conditional: [operationId: string, path: string][] = [
    ['get_grouped_sessions', '/sessions/grouped?tz=Europe%2FParis'],
    ['search_sessions', '/sessions/search?q=make%20it%20short&limit=1'],
    ['get_session', `/sessions/${session.id}`],
    ['get_sessions', '/sessions?agent_id=echo&limit=1'],
    ['get_session_messages', `/sessions/${session.id}/messages?limit=1`],
    ['get_session_tree', `/sessions/${session.id}/tree`],
    ['get_session_file', `/sessions/${session.id}/files/${file?.id}`],
  ]
  for (const [operationId, path] of conditional) {
    if (!documents(operationId)) continue
    const first = await check(operationId, 200, await target.send(path))
    const etag = first.headers.get('etag') ?? ''
    await check(
      operationId,
      304,
      await target.send(path, { headers: { 'If-None-Match': `"stale", ${etag}` } }),
      { ETag: etag, 'Cache-Control': 'private, no-cache' },
    )
  }

  if (documents('rename_session')) {
    // rename_session: 200, 404, 413, 415, 422.
    const patch = (body: unknown): RequestInit => ({ ...json(body), method: 'PATCH' })
    const renamed = await check<Session>(
      'rename_session',
      200,
      await target.send(`/sessions/${session.id}`, patch({ name: '  Onboarding plan  ' })),
    )
    expect(renamed.body.name).toBe('Onboarding plan')
    // Pin, archive, tags and metadata: optional fields of the same operation, merged metadata.
    const organised = await check<Session>(
      'rename_session',
      200,
      await target.send(
        `/sessions/${session.id}`,
        patch({ pinned: true, tags: ['research'], metadata: { project: 'alpha', gone: null } }),
      ),
    )
    expect(organised.body).toMatchObject({
      name: 'Onboarding plan',
      pinned: true,
      archived: false,
      tags: ['research'],
      metadata: { project: 'alpha' },
    })
    // The lists' filters and the pinned group, on that session.
    const filtered = await check<{ sessions: Session[] }>(
      'get_sessions',
      200,
      await target.send(
        '/sessions?agent_id=echo&pinned=true&tag=research&metadata=project%3Dalpha&include_messages=false',
      ),
    )
    expect(filtered.body.sessions.map((s) => s.id)).toContain(session.id)
    expect(filtered.body.sessions.every((s) => s.messages.length === 0)).toBe(true)
    expect(filtered.body.sessions[0]?.message_count).toBeGreaterThan(0)
    const archive = await check<{ sessions: Session[] }>(
      'get_sessions',
      200,
      await target.send('/sessions?agent_id=echo&archived=true&tag=research'),
    )
    expect(archive.body.sessions).toEqual([])
    const pinnedFirst = await check<{
      pinned?: Array<{ id: string; last_message_preview?: string }>
    }>(
      'get_grouped_sessions',
      200,
      await target.send('/sessions/grouped?pinned_group=true&tag=research'),
    )
    expect(pinnedFirst.body.pinned?.map((s) => s.id)).toContain(session.id)
    expect(pinnedFirst.body.pinned?.[0]?.last_message_preview).toBeTypeOf('string')
    if (invalid)
      await check(
        'get_sessions',
        422,
        await target.send('/sessions?agent_id=echo&metadata=no-equals-sign'),
      )
    await check(
      'rename_session',
      404,
      await target.send(`/sessions/${randomUUID()}`, patch({ name: 'Nobody' })),
    )
    if (invalid) {
      await check(
        'rename_session',
        413,
        await target.send(
          `/sessions/${session.id}`,
          patch({ name: 'x'.repeat(target.limits.maxJsonBytes + 1) }),
        ),
      )
      await check(
        'rename_session',
        415,
        await target.send(`/sessions/${session.id}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'text/plain' },
          body: 'A name',
        }),
      )
      await check(
        'rename_session',
        422,
        await target.send(`/sessions/${session.id}`, patch({ name: ' ' })),
      )
      await check(
        'rename_session',
        422,
        await target.send(`/sessions/${session.id}`, patch({ tags: ['same', 'same'] })),
      )
    }
  }

  if (documents('rate_message')) {
    // rate_message: 200, 404, 413, 415, 422; delete_message_feedback: 204, 404, 422;
    // get_agent_feedback: 200, 404, 422.
    const reply = session.messages.findLast((m) => m.role === 'assistant')
    const asked = session.messages.find((m) => m.role === 'user')
    const feedbackOf = (messageId = reply?.id, sessionId = session.id) =>
      `/sessions/${sessionId}/messages/${messageId}/feedback`
    const rated = await check<{ rating: string; message_id: string }>(
      'rate_message',
      200,
      await target.send(feedbackOf(), json({ rating: 'down', comment: 'Too short' })),
    )
    expect(rated.body).toMatchObject({ rating: 'down', message_id: reply?.id })
    const shown = await check<Session>(
      'get_session',
      200,
      await target.send(`/sessions/${session.id}`),
    )
    expect(shown.body.messages.find((m) => m.id === reply?.id)?.feedback).toMatchObject({
      rating: 'down',
      comment: 'Too short',
    })
    await check(
      'rate_message',
      404,
      await target.send(feedbackOf('no-such-message'), json({ rating: 'up' })),
    )
    await check(
      'rate_message',
      422,
      await target.send(feedbackOf(asked?.id), json({ rating: 'up' })),
    )
    // A second rated reply, so that a page of one has a next one (`next_cursor`).
    const secondReply = updated.body.messages.findLast((m) => m.role === 'assistant')
    expect(secondReply?.id).not.toBe(reply?.id)
    await check(
      'rate_message',
      200,
      await target.send(feedbackOf(secondReply?.id), json({ rating: 'down' })),
    )
    const page = await check<{
      totals: { up: number; down: number }
      feedback: unknown[]
      next_cursor?: string
    }>('get_agent_feedback', 200, await target.send('/agents/echo/feedback?rating=down&limit=1'))
    expect(page.body.totals.down).toBeGreaterThan(1)
    expect(page.body.feedback).toHaveLength(1)
    expect(page.body.next_cursor).toEqual(expect.any(String))
    await check('get_agent_feedback', 404, await target.send('/agents/no-such-agent/feedback'))
    await check(
      'get_agent_feedback',
      422,
      await target.send('/agents/echo/feedback?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z'),
    )
    await check(
      'delete_message_feedback',
      204,
      await target.send(feedbackOf(), { method: 'DELETE' }),
    )
    await check(
      'delete_message_feedback',
      404,
      await target.send(feedbackOf(), { method: 'DELETE' }),
    )
    if (invalid) {
      await check(
        'rate_message',
        413,
        await target.send(
          feedbackOf(),
          json({ rating: 'up', comment: 'x'.repeat(target.limits.maxJsonBytes + 1) }),
        ),
      )
      await check(
        'rate_message',
        415,
        await target.send(feedbackOf(), {
          method: 'PUT',
          headers: { 'Content-Type': 'text/plain' },
          body: 'up',
        }),
      )
      await check('rate_message', 422, await target.send(feedbackOf(), json({ rating: 'meh' })))
      await check(
        'delete_message_feedback',
        422,
        await target.send(feedbackOf('.hidden'), { method: 'DELETE' }),
      )
      await check('get_agent_feedback', 422, await target.send('/agents/echo/feedback?limit=0'))
    }
  }

  if (documents('get_session_events')) {
    // get_session_events: 200 (a session without a run: its status, then the end), 404, 422.
    const events = await check<Uint8Array>(
      'get_session_events',
      200,
      await target.send(`/sessions/${session.id}/events`),
    )
    expect(new TextDecoder().decode(events.body)).toMatch(
      /event: status\ndata: \{"status":"Ready"\}/,
    )
    await check('get_session_events', 404, await target.send(`/sessions/${randomUUID()}/events`))
    if (invalid) await check('get_session_events', 422, await target.send('/sessions/.nope/events'))
  }

  if (documents('ui_chat')) {
    // ui_chat: 200 (a new chat, then its next turn), 404, 409, 413, 415, 422;
    // ui_chat_resume: 200 (a run in progress), 204; ui_chat_messages: 200, 404, 422.
    const chatId = randomUUID()
    const say = (text: string, files: object[] = []) => ({
      id: `m-${randomUUID()}`,
      role: 'user',
      parts: [{ type: 'text', text }, ...files],
    })
    const chat = (body: unknown): RequestInit => ({ ...json(body), method: 'POST' })
    const first = await check<Uint8Array>(
      'ui_chat',
      200,
      await target.send('/chat', chat({ id: chatId, agent_id: 'echo', messages: [say('Hello')] })),
      { 'x-vercel-ai-ui-message-stream': 'v1' },
    )
    const stream = new TextDecoder().decode(first.body)
    expect(stream).toMatch(/data: \{"type":"start","messageId":"[^"]+"\}/)
    expect(stream).toMatch(/data: \{"type":"finish","finishReason":"stop"\}\n\ndata: \[DONE\]\n\n$/)
    await check(
      'ui_chat',
      200,
      await target.send('/chat', chat({ id: chatId, messages: [say('Hello'), say('Again')] })),
    )
    const stored = await check<{ messages: unknown[] }>(
      'ui_chat_messages',
      200,
      await target.send(`/chat/${chatId}/messages`),
    )
    expect(stored.body.messages).toHaveLength(4)
    await check('ui_chat_messages', 404, await target.send(`/chat/${randomUUID()}/messages`))
    await check('ui_chat_resume', 204, await target.send(`/chat/${chatId}/stream`))
    await check(
      'ui_chat',
      404,
      await target.send(
        '/chat',
        chat({ id: randomUUID(), agent_id: 'no-such', messages: [say('Hi')] }),
      ),
    )
    if (invalid) {
      const big = `data:application/octet-stream;base64,${Buffer.alloc(target.limits.maxFileBytes + 1).toString('base64')}`
      await check(
        'ui_chat',
        413,
        await target.send(
          '/chat',
          chat({
            id: randomUUID(),
            agent_id: 'echo',
            messages: [
              say('Too big', [{ type: 'file', mediaType: 'application/octet-stream', url: big }]),
            ],
          }),
        ),
      )
      await check(
        'ui_chat',
        415,
        await target.send('/chat', {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: 'Hi',
        }),
      )
      await check(
        'ui_chat',
        422,
        await target.send('/chat', chat({ id: randomUUID(), messages: [] })),
      )
      await check('ui_chat_messages', 422, await target.send('/chat/not%20an%20id/messages'))
      await check('ui_chat_resume', 422, await target.send('/chat/not%20an%20id/stream'))
    }
    const busy = await target.startBusySession()
    let resumed: Promise<unknown> | undefined
    try {
      await check(
        'ui_chat',
        409,
        await target.send('/chat', chat({ id: busy.sessionId, messages: [say('While busy')] })),
      )
      // Read to its end once the busy run is let go, below. Through Prism, which answers once
      // the whole stream is in, a busy session that only runs slowly may be over by then: 204.
      const stream = await target.send(`/chat/${busy.sessionId}/stream`)
      resumed = check(
        'ui_chat_resume',
        stream.status === 204 && via === 'prism' ? 204 : 200,
        stream,
      )
    } finally {
      await busy.finish()
    }
    await resumed
  }

  if (documents('get_agents')) {
    // get_agents: 200; get_agent: 200, 404, 422.
    const agents = await check<{ agents: Array<{ id: string }> }>(
      'get_agents',
      200,
      await target.send('/agents'),
    )
    expect(agents.body.agents.map((agent) => agent.id)).toContain('echo')
    await check('get_agent', 200, await target.send('/agents/echo'))
    await check('get_agent', 404, await target.send('/agents/no-such-agent'))
    if (invalid) await check('get_agent', 422, await target.send(`/agents/${'a'.repeat(129)}`))
  }

  if (documents('get_usage')) {
    // get_usage: 200 (the default range, and one given), 422 (a range backwards, a zone unknown).
    await check('get_usage', 200, await target.send('/usage'))
    await check(
      'get_usage',
      200,
      await target.send('/usage?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&tz=Europe/Paris'),
    )
    if (invalid) {
      await check(
        'get_usage',
        422,
        await target.send('/usage?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z'),
      )
      await check('get_usage', 422, await target.send('/usage?tz=Mars/Olympus'))
    }
  }

  if (documents('list_webhook_deliveries')) {
    // list_webhook_deliveries: 200 (a server without endpoints lists none), 422 (a cursor it
    // did not make, a page too large).
    const listed = await check<{ deliveries: unknown[] }>(
      'list_webhook_deliveries',
      200,
      await target.send('/webhooks/deliveries?limit=5'),
    )
    expect(Array.isArray(listed.body.deliveries)).toBe(true)
    if (invalid) {
      await check(
        'list_webhook_deliveries',
        422,
        await target.send('/webhooks/deliveries?cursor=x'),
      )
      await check('list_webhook_deliveries', 422, await target.send('/webhooks/deliveries?limit=0'))
    }
  }

  if (documents('delete_session')) {
    // delete_session: 204, then 404 everywhere; 404 for an unknown session; 422.
    const doomed = await check<Session>(
      'create_session_from_text',
      200,
      await target.send('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'Delete me afterwards' }),
      }),
    )
    const deleted = await check('delete_session', 204, await del(target, doomed.body.id))
    expect(deleted.body, 'a 204 has no body').toEqual(new Uint8Array(0))
    await check('get_session', 404, await target.send(`/sessions/${doomed.body.id}`))
    await check('delete_session', 404, await del(target, doomed.body.id))
    await check('delete_session', 404, await del(target, 'imported:session.1'))
    if (invalid) await check('delete_session', 422, await del(target, '.hidden'))
  }

  if (documents('get_session_tree')) {
    const branched = await check<Session>(
      'create_session_from_text',
      200,
      await target.send('/sessions/text', {
        method: 'POST',
        body: sessionForm({ agent_id: 'echo', text_prompt: 'A conversation to branch' }),
      }),
    )
    await branchSteps(target, branched.body)
  }

  await idempotencySteps(target, session.id)

  // get_readiness 503 once shutdown has begun.
  await target.shutdown()
  const notReady = await check<{ status: string }>(
    'get_readiness',
    503,
    await target.send('/ready'),
  )
  expect(notReady.body.status).toBe('not_ready')
}

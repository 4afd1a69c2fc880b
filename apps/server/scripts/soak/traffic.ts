/**
 * The soak's mixed traffic: what a busy client does with sessions, each request paired with the
 * statuses it may get. Anything else (or no answer) is an error.
 */
import { randomUUID } from 'node:crypto'

export interface Outcome {
  action: string
  status: number | 'network'
  expected: boolean
  ms: number
}

export interface TrafficContext {
  baseUrl: string
  /** The worker's API key. */
  key: string
  /** The worker's sessions, oldest first; kept short by deleting the oldest. */
  sessions: string[]
}

const POOL = 15

type Step = (ctx: TrafficContext) => Promise<Outcome[]>

/** Sends one request and says whether its status is one of `expected`. */
async function call(
  ctx: TrafficContext,
  action: string,
  path: string,
  init: RequestInit,
  expected: number[],
  read: (response: Response) => Promise<unknown> = (r) => r.arrayBuffer(),
): Promise<{ outcome: Outcome; body: unknown; response?: Response }> {
  const started = performance.now()
  try {
    const response = await fetch(`${ctx.baseUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${ctx.key}`, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(60_000),
    })
    const body = await read(response)
    const ms = performance.now() - started
    return {
      outcome: {
        action,
        status: response.status,
        expected: expected.includes(response.status),
        ms,
      },
      body,
      response,
    }
  } catch {
    return {
      outcome: { action, status: 'network', expected: false, ms: performance.now() - started },
      body: undefined,
    }
  }
}

const json = (body: unknown, method = 'PUT', headers: Record<string, string> = {}) => ({
  method,
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json', ...headers },
})

function form(text: string): FormData {
  const data = new FormData()
  data.append('agent_id', 'echo')
  data.append('text_prompt', text)
  data.append('files', new Blob([`notes for ${text}`.repeat(20)], { type: 'text/plain' }), 'n.txt')
  return data
}

const pick = (ctx: TrafficContext) =>
  ctx.sessions[Math.floor(Math.random() * ctx.sessions.length)] as string

const create: Step = async (ctx) => {
  const async = Math.random() < 0.5
  const { outcome, body } = await call(
    ctx,
    'create',
    '/sessions/text',
    {
      method: 'POST',
      body: form(`soak ${randomUUID()}`),
      headers: async ? { Prefer: 'respond-async' } : {},
    },
    async ? [202] : [200],
    (r) => r.json(),
  )
  const outcomes = [outcome]
  const id = (body as { id?: string } | undefined)?.id
  if (id) ctx.sessions.push(id)
  // Keep the pool (and the database) from growing without end: delete the oldest.
  while (ctx.sessions.length > POOL) {
    const oldest = ctx.sessions.shift() as string
    outcomes.push(
      (await call(ctx, 'delete', `/sessions/${oldest}`, { method: 'DELETE' }, [204])).outcome,
    )
  }
  return outcomes
}

const replayedCreate: Step = async (ctx) => {
  const key = randomUUID()
  const text = `replayed ${key}`
  const send = () =>
    call(
      ctx,
      'create (idempotent)',
      '/sessions/text',
      { method: 'POST', body: form(text), headers: { 'Idempotency-Key': key } },
      [200],
      (r) => r.json(),
    )
  const first = await send()
  const again = await send()
  const replayed = again.response?.headers.get('Idempotent-Replayed') === 'true'
  const id = (first.body as { id?: string } | undefined)?.id
  if (id) ctx.sessions.push(id)
  return [first.outcome, { ...again.outcome, expected: again.outcome.expected && replayed }]
}

const continueSession: Step = async (ctx) => [
  // 409: the session's run is still going, which a busy client meets all the time.
  (
    await call(
      ctx,
      'update',
      `/sessions/${pick(ctx)}`,
      json({ text_prompt: `more ${randomUUID()}` }, 'PUT', { Prefer: 'respond-async' }),
      [202, 409],
    )
  ).outcome,
]

const read: Step = async (ctx) => {
  const { outcome, body } = await call(ctx, 'get', `/sessions/${pick(ctx)}`, {}, [200], (r) =>
    r.json(),
  )
  const url = (body as { messages?: Array<{ files?: Array<{ url: string }> }> } | undefined)
    ?.messages?.[0]?.files?.[0]?.url
  if (!url) return [outcome]
  return [outcome, (await call(ctx, 'file', url, {}, [200])).outcome]
}

const rename: Step = async (ctx) => [
  (await call(ctx, 'rename', `/sessions/${pick(ctx)}`, json({ name: 'Soaked' }, 'PATCH'), [200]))
    .outcome,
]

const events: Step = async (ctx) => [
  (await call(ctx, 'events', `/sessions/${pick(ctx)}/events`, {}, [200], (r) => r.text())).outcome,
]

const cancel: Step = async (ctx) => [
  (await call(ctx, 'cancel', `/sessions/${pick(ctx)}/cancel`, { method: 'POST' }, [200])).outcome,
]

const lists: Step = async (ctx) => [
  (await call(ctx, 'list', '/sessions?agent_id=echo&limit=20', {}, [200])).outcome,
  (await call(ctx, 'grouped', '/sessions/grouped?tz=Europe%2FParis', {}, [200])).outcome,
]

const unauthenticated: Step = async (ctx) => [
  (await call({ ...ctx, key: 'uxm_not-a-key' }, 'unauthenticated', '/agents', {}, [401])).outcome,
]

/** The mix, by weight. */
const mix: Array<[number, Step]> = [
  [4, create],
  [1, replayedCreate],
  [4, continueSession],
  [6, read],
  [2, rename],
  [2, events],
  [1, cancel],
  [3, lists],
  [1, unauthenticated],
]
const total = mix.reduce((sum, [weight]) => sum + weight, 0)

/**
 * One step of mixed traffic: a create when the worker has no session yet, else a step drawn by
 * weight.
 *
 * @example
 * ```ts
 * const outcomes = await nextStep({ baseUrl, key, sessions: [] })
 * ```
 */
export function nextStep(ctx: TrafficContext): Promise<Outcome[]> {
  if (ctx.sessions.length === 0) return create(ctx)
  let draw = Math.random() * total
  for (const [weight, step] of mix) {
    draw -= weight
    if (draw < 0) return step(ctx)
  }
  return read(ctx)
}

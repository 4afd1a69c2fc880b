/**
 * The scenario's steps for a session's tree of messages: `get_session_tree`,
 * `regenerate_session_message`, `edit_session_message`, `switch_session_branch` and
 * `fork_session`, each of their documented statuses but 401, 429 (server-security) and the
 * in-flight 409 of an `Idempotency-Key` (the keyed steps of scenario.ts).
 */
import { randomUUID } from 'node:crypto'
import type { Session } from '@uxmate/contract'
import { expect } from 'vitest'
import { expectConformant } from './conformance.ts'
import { sessionForm } from './fixtures.ts'
import { type ScenarioTarget, settle } from './scenario.ts'

interface Tree {
  messages: Array<{ id: string; parent_id?: string | null; role: string }>
  active_leaf_id: string | null
  next_cursor?: string
}

const post = (headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers })

/** An edit's form: the new text, and files if any. */
export function editForm(text: string | undefined, files: Parameters<typeof sessionForm>[1] = []) {
  return sessionForm(text === undefined ? {} : { text_prompt: text }, files)
}

/**
 * Runs the tree operations on `session` (Ready, a user message then the agent's reply, as it
 * comes from `create_session_from_text`), through `target`.
 */
export async function branchSteps(target: ScenarioTarget, session: Session): Promise<void> {
  const { via } = target
  const invalid = !target.validOnly
  const check = <T>(operationId: string, status: number, response: Response) =>
    expectConformant<T>(operationId, response, { status, via })
  const base = `/sessions/${session.id}`
  const [question, answer] = session.messages
  if (!question || !answer) throw new Error('the session needs a question and its answer')
  const nobody = randomUUID()

  // regenerate_session_message: 200, 202, 404 (session, message), 422 (a user message, no uuid).
  const regenerated = await check<Session>(
    'regenerate_session_message',
    200,
    await target.send(`${base}/messages/${answer.id}/regenerate`, post()),
  )
  const reply = regenerated.body.messages.at(-1)
  expect(reply?.parent_id, 'the new reply answers the same message').toBe(question.id)
  expect(reply?.id).not.toBe(answer.id)
  const later = await check<Session>(
    'regenerate_session_message',
    202,
    await target.send(
      `${base}/messages/${answer.id}/regenerate`,
      post({ Prefer: 'respond-async' }),
    ),
  )
  expect(later.body.status).toBe('Running')
  await settle(target, session.id)
  await check(
    'regenerate_session_message',
    404,
    await target.send(`/sessions/${nobody}/messages/${answer.id}/regenerate`, post()),
  )
  await check(
    'regenerate_session_message',
    404,
    await target.send(`${base}/messages/${nobody}/regenerate`, post()),
  )
  await check(
    'regenerate_session_message',
    422,
    await target.send(`${base}/messages/${question.id}/regenerate`, post()),
  )

  // get_session_tree: 200 (every branch, pages, siblings), 404, 422.
  const tree = await check<Tree>('get_session_tree', 200, await target.send(`${base}/tree`))
  expect(tree.body.messages.filter((m) => m.parent_id === question.id)).toHaveLength(3)
  const firstPage = await check<Tree>(
    'get_session_tree',
    200,
    await target.send(`${base}/tree?limit=1`),
  )
  expect(firstPage.body.next_cursor).toBeDefined()
  await check(
    'get_session_tree',
    200,
    await target.send(
      `${base}/tree?limit=1&cursor=${encodeURIComponent(firstPage.body.next_cursor ?? '')}`,
    ),
  )
  const siblings = await check<Tree>(
    'get_session_tree',
    200,
    await target.send(`${base}/tree?siblings_of=${answer.id}`),
  )
  expect(siblings.body.messages.map((m) => m.role)).toEqual(['assistant', 'assistant', 'assistant'])
  await check('get_session_tree', 404, await target.send(`/sessions/${nobody}/tree`))
  await check('get_session_tree', 422, await target.send(`${base}/tree?siblings_of=${nobody}`))
  if (invalid) await check('get_session_tree', 422, await target.send(`${base}/tree?limit=0`))

  // switch_session_branch: 200 (back to the first reply), 404 (session, message), 422.
  const switched = await check<Session>(
    'switch_session_branch',
    200,
    await target.send(`${base}/messages/${answer.id}/switch`, post()),
  )
  expect(switched.body.messages.map((m) => m.id)).toEqual([question.id, answer.id])
  await check(
    'switch_session_branch',
    404,
    await target.send(`${base}/messages/${nobody}/switch`, post()),
  )
  await check(
    'switch_session_branch',
    404,
    await target.send(`/sessions/${nobody}/messages/${answer.id}/switch`, post()),
  )
  if (invalid)
    await check(
      'switch_session_branch',
      422,
      await target.send(`${base}/messages/not%20an%20id/switch`, post()),
    )

  // edit_session_message: 200, 202, 404, 413, 415, 422 (an assistant message, no text).
  const sendWithFiles = target.sendWithFiles ?? target.send
  const edited = await check<Session>(
    'edit_session_message',
    200,
    await sendWithFiles(`${base}/messages/${question.id}/edit`, {
      method: 'POST',
      body: editForm('Say it otherwise.', [{ name: 'more.txt', type: 'text/plain', content: 'x' }]),
    }),
  )
  const [edit] = edited.body.messages
  expect(edit?.parent_id ?? null, 'an edit of a first message is a first message').toBeNull()
  expect(edit?.text).toBe('Say it otherwise.')
  expect(edit?.files?.[0]?.name).toBe('more.txt')
  await check(
    'edit_session_message',
    202,
    await target.send(`${base}/messages/${question.id}/edit`, {
      method: 'POST',
      headers: { Prefer: 'respond-async' },
      body: editForm('And once more.'),
    }),
  )
  await settle(target, session.id)
  await check(
    'edit_session_message',
    404,
    await target.send(`${base}/messages/${nobody}/edit`, {
      method: 'POST',
      body: editForm('Anyone?'),
    }),
  )
  await check(
    'edit_session_message',
    422,
    await target.send(`${base}/messages/${answer.id}/edit`, {
      method: 'POST',
      body: editForm('Not mine to edit'),
    }),
  )
  if (invalid) {
    await check(
      'edit_session_message',
      413,
      await target.send(`${base}/messages/${question.id}/edit`, {
        method: 'POST',
        body: editForm('Too big', [
          { name: 'big.bin', content: new Uint8Array(target.limits.maxFileBytes + 1) },
        ]),
      }),
    )
    await check(
      'edit_session_message',
      415,
      await target.send(`${base}/messages/${question.id}/edit`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text_prompt: 'As JSON' }),
      }),
    )
    await check(
      'edit_session_message',
      422,
      await target.send(`${base}/messages/${question.id}/edit`, {
        method: 'POST',
        body: editForm(undefined),
      }),
    )
  }

  // fork_session: 201 (the first reply's branch, with the file), 404, 422.
  const forked = await check<Session>(
    'fork_session',
    201,
    await target.send(`${base}/messages/${answer.id}/fork`, post()),
  )
  expect(forked.body.id).not.toBe(session.id)
  expect(forked.body.messages.map((m) => m.text)).toEqual([question.text, answer.text])
  await check('fork_session', 404, await target.send(`${base}/messages/${nobody}/fork`, post()))
  if (invalid)
    await check(
      'fork_session',
      422,
      await target.send(`${base}/messages/not%20an%20id/fork`, post()),
    )

  // 409: a session whose run is going takes no regenerate, edit or switch.
  const busy = await target.startBusySession()
  try {
    const { body } = await check<Session>(
      'get_session',
      200,
      await target.send(`/sessions/${busy.sessionId}`),
    )
    const first = body.messages[0]?.id ?? ''
    const busyBase = `/sessions/${busy.sessionId}/messages/${first}`
    await check(
      'regenerate_session_message',
      409,
      await target.send(`${busyBase}/regenerate`, post()),
    )
    await check(
      'edit_session_message',
      409,
      await target.send(`${busyBase}/edit`, { method: 'POST', body: editForm('While busy') }),
    )
    await check('switch_session_branch', 409, await target.send(`${busyBase}/switch`, post()))
    // on_busy=enqueue: the edit waits for the run, naming the message it edits.
    const queued = await check<Session>(
      'edit_session_message',
      202,
      await target.send(`${busyBase}/edit?on_busy=enqueue`, {
        method: 'POST',
        body: editForm('When you are done'),
      }),
    )
    expect(queued.body.queued_turns?.[0]).toMatchObject({ kind: 'edit', message_id: first })
  } finally {
    await busy.finish()
  }
}

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NewSession } from '../../domain/session-store.ts'
import { openSqliteStore } from './sqlite-store.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uxmate-sqlite-store-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const now = new Date('2031-05-01T10:00:00.000Z')
const newSession = (id: string): NewSession => ({
  id,
  owner: 'alice',
  agentId: 'echo',
  name: id,
  now,
  message: { id: `${id}-m`, text: `hello from ${id}`, files: [] },
  run: { runId: `${id}-run`, instance: 'here', leaseExpiresAt: new Date(now.getTime() + 15_000) },
})

describe('the SQLite store', () => {
  it('commits the writes still queued when it is closed', async () => {
    const path = join(dir, 'uxmate.sqlite')
    const store = openSqliteStore(path)
    await store.migrate()
    const created = [store.createSession(newSession('s1')), store.createSession(newSession('s2'))]
    await store.close()
    await expect(Promise.all(created)).resolves.toHaveLength(2)
    const reopened = openSqliteStore(path)
    expect((await reopened.getSession('alice', 's1'))?.messages[0]?.text).toBe('hello from s1')
    expect(await reopened.getSession('alice', 's2')).toBeDefined()
    await reopened.close()
  })

  it('answers each of the writes that share a commit as if it were alone', async () => {
    const store = openSqliteStore(join(dir, 'uxmate.sqlite'))
    await store.migrate()
    await store.createSession(newSession('s1'))
    const [turn, duplicate, other, ids] = await Promise.allSettled([
      store.startTurn({
        owner: 'alice',
        sessionId: 's1',
        now,
        message: { id: 't1', text: 'again' },
        run: { runId: 'r2', instance: 'here', leaseExpiresAt: now },
      }),
      // A write that fails half-way: its session row is in, its message's id is taken.
      store.createSession({
        ...newSession('s4'),
        message: { ...newSession('s4').message, id: 's1-m' },
      }),
      store.createSession(newSession('s3')),
      store.reserveEventIds('s1', 10),
    ])
    expect(turn).toEqual({ status: 'fulfilled', value: 'busy' })
    expect(duplicate.status).toBe('rejected')
    expect(await store.getSession('alice', 's4')).toBeUndefined()
    // A session id already taken is an answer, not a failure.
    expect(await store.createSession(newSession('s1'))).toBe('id_taken')
    expect(other).toMatchObject({ status: 'fulfilled', value: { id: 's3', status: 'Running' } })
    expect(ids).toEqual({ status: 'fulfilled', value: 1 })
    expect(await store.getSession('alice', 's3')).toEqual(
      (other as PromiseFulfilledResult<unknown>).value,
    )
    expect((await store.getSession('alice', 's1'))?.messages.map((m) => m.id)).toEqual(['s1-m'])
    await store.close()
  })
})

import { describe, expect, it } from 'vitest'
import type {
  NewSession,
  NewUserMessage,
  RunOutcome,
  SessionStore,
} from '../domain/session-store.ts'
import { trackChanges } from './change-tracking.ts'

const now = new Date('2026-11-26T09:00:00.000Z')
const run = { runId: 'r', instance: 'i', leaseExpiresAt: now }
const newSession = (id: string, owner: string): NewSession => ({
  id,
  owner,
  agentId: 'echo',
  name: 'n',
  now,
  run,
  message: { id: `${id}-m`, text: 't', files: [] },
})
const turn = (sessionId: string, owner: string): NewUserMessage => ({
  owner,
  sessionId,
  now,
  run,
  message: { id: 'm', text: 't' },
})
const outcome = (sessionId: string): RunOutcome => ({
  sessionId,
  runId: 'r',
  now,
  reply: null,
  status: 'Ready',
  error: null,
  lastEventId: 1,
})

/** Writes that answer as told; only what trackChanges looks at. */
function fakeStore(turnResult: 'ok' | 'busy' = 'ok', fail = false) {
  const answer = async <T>(value: T) => {
    if (fail) throw new Error('disk full')
    return value
  }
  return {
    createSession: (input: NewSession) => answer({ id: input.id }),
    startTurn: () => answer(turnResult === 'ok' ? { id: 's' } : 'busy'),
    startRun: () => answer(turnResult === 'ok' ? { id: 's' } : 'busy'),
    switchBranch: () => answer({ session: { id: 's' } }),
    forkSession: () => answer({ id: 'f' }),
    finishRun: () => answer({ reply: null, recorded: true, queued: false }),
    renameSession: () => answer(undefined),
    updateSession: () => answer(undefined),
    deleteSession: () => answer('deleted'),
    reserveEventIds: () => answer(1),
    renewLeases: () => answer([]),
    flushInterruptedRuns: () => answer(0),
    flushExpiredRuns: () => answer([]),
  } as unknown as SessionStore
}

describe('trackChanges', () => {
  it("moves the writer's owner only, after each write", async () => {
    const store = trackChanges(fakeStore())
    const alice = store.changes.of('alice')
    const bob = store.changes.of('bob')
    await store.createSession(newSession('s', 'alice'))
    expect(store.changes.of('alice')).not.toBe(alice)
    expect(store.changes.of('bob')).toBe(bob)

    for (const write of [
      () => store.startTurn(turn('s', 'alice')),
      () => store.renameSession('alice', 's', 'x'),
      () => store.updateSession('alice', 's', { pinned: true, maxMetadataPairs: 16 }),
      () => store.deleteSession('alice', 's'),
    ]) {
      const before = store.changes.of('alice')
      await write()
      expect(store.changes.of('alice')).toBeGreaterThan(before)
      expect(store.changes.of('bob')).toBe(bob)
    }
  })

  it("moves the run's owner when the run ends, and everyone for a run it did not start", async () => {
    const store = trackChanges(fakeStore())
    await store.createSession(newSession('s', 'alice'))
    const alice = store.changes.of('alice')
    const bob = store.changes.of('bob')
    await store.finishRun(outcome('s'))
    expect(store.changes.of('alice')).toBeGreaterThan(alice)
    expect(store.changes.of('bob')).toBe(bob)

    // Its owner is forgotten once the run ended: the same session's next end is unknown.
    await store.finishRun(outcome('s'))
    expect(store.changes.of('bob')).toBeGreaterThan(bob)
  })

  it("moves the owner on each change of a session's tree: regenerate, switch, fork", async () => {
    const store = trackChanges(fakeStore())
    const writes = [
      () => store.startRun({ owner: 'alice', sessionId: 's', now, leafId: 'm', run }),
      () => store.switchBranch('alice', 's', 'm'),
      () =>
        store.forkSession({
          owner: 'alice',
          sourceId: 's',
          throughMessageId: 'm',
          id: 'f',
          now,
          newId: () => 'x',
        }),
    ]
    for (const write of writes) {
      const alice = store.changes.of('alice')
      const bob = store.changes.of('bob')
      await write()
      expect(store.changes.of('alice')).toBeGreaterThan(alice)
      expect(store.changes.of('bob')).toBe(bob)
    }
    // The regenerate's run is alice's: its end moves her, not everyone.
    const bob = store.changes.of('bob')
    await store.finishRun(outcome('s'))
    expect(store.changes.of('bob')).toBe(bob)
  })

  it('moves nothing for writes that no answer shows', async () => {
    const store = trackChanges(fakeStore())
    await store.createSession(newSession('s', 'alice'))
    const alice = store.changes.of('alice')
    await store.reserveEventIds('s', 100)
    await store.renewLeases('i', now)
    expect(store.changes.of('alice')).toBe(alice)
  })

  it('moves everyone on the flushes, to values never seen before', async () => {
    const store = trackChanges(fakeStore())
    await store.createSession(newSession('s', 'alice'))
    const seen = new Set([store.changes.of('alice'), store.changes.of('bob')])
    await store.flushInterruptedRuns(now, 'stopped')
    expect(seen.has(store.changes.of('alice'))).toBe(false)
    expect(seen.has(store.changes.of('bob'))).toBe(false)
    seen.add(store.changes.of('bob'))
    await store.flushExpiredRuns(now, 'expired')
    expect(seen.has(store.changes.of('carol'))).toBe(false)
  })

  it('moves the owner after a failed write too, and remembers no run of it', async () => {
    const store = trackChanges(fakeStore('ok', true))
    const alice = store.changes.of('alice')
    await expect(store.createSession(newSession('s', 'alice'))).rejects.toThrow('disk full')
    expect(store.changes.of('alice')).toBeGreaterThan(alice)

    const busy = trackChanges(fakeStore('busy'))
    await busy.startTurn(turn('s', 'alice'))
    const bob = busy.changes.of('bob')
    await busy.finishRun(outcome('s'))
    expect(busy.changes.of('bob')).toBeGreaterThan(bob)
  })
})

/**
 * An instance cut off from the shared store: once the lease of a run of its own ran out
 * without a renewal, it stops that run and records nothing more of it (the others may have
 * flushed it, and a newer run of the session may be going on elsewhere).
 */
import { describe, expect, it } from 'vitest'
import { RunCoordinator } from '../src/domain/run-coordinator.ts'
import type { RunEvent } from '../src/domain/run-events.ts'
import { createInMemoryRunEvents } from '../src/domain/run-events.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { createJsonLogger } from '../src/logger.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { createManualClock, createScriptedAgent } from './test-app.ts'

const LEASE_MS = 300

async function cutOffInstance(renewals: 'fail' | 'hang' | 'succeed') {
  const opened = openSqliteStore(':memory:')
  await opened.migrate()
  const finished: string[] = []
  const store: SessionStore = {
    ...opened,
    async renewLeases(instance, until) {
      if (renewals === 'fail') throw new Error('connection terminated unexpectedly')
      // A connection that hangs: the renewal never answers, neither yes nor no.
      if (renewals === 'hang') return new Promise<string[]>(() => {})
      return opened.renewLeases(instance, until)
    },
    async finishRun(outcome) {
      finished.push(outcome.sessionId)
      return opened.finishRun(outcome)
    },
  }
  const clock = createManualClock()
  const events = createInMemoryRunEvents({ retentionMs: 60_000 })
  const runs = new RunCoordinator({
    store,
    clock,
    logger: createJsonLogger('silent'),
    events,
    runTimeoutMs: 600_000,
    titleTimeoutMs: 1_000,
    instance: 'cut-off',
    leaseMs: LEASE_MS,
    control: { requestCancel: async () => {}, onCancel: () => {} },
  })
  const scripted = createScriptedAgent()
  const now = clock.now()
  const session = await store.createSession({
    id: 's1',
    owner: 'alice',
    agentId: 'scripted',
    name: 'Lease',
    now,
    message: { id: 'm1', text: 'Hello', files: [] },
    run: runs.claim(now),
  })
  if (session === 'id_taken') throw new Error('taken')
  const started = scripted.started()
  const done = runs.start(session, scripted.agent)
  await started
  const published: RunEvent[] = []
  events.subscribe('s1', undefined, {
    onEvent: (event) => published.push(event),
    onRunEnd: () => {},
  })
  return { store: opened, clock, runs, scripted, done, finished, published }
}

describe('a run whose lease ran out without a renewal', () => {
  it('is stopped by its own instance, which records and publishes nothing more of it', async () => {
    const { store, clock, scripted, done, finished, published } = await cutOffInstance('fail')
    scripted.send('partial ')
    // Past the lease: the next heartbeat (every LEASE_MS / 3) fails again and stops the run.
    clock.advance(LEASE_MS)
    await done
    expect(finished).toEqual([])
    expect(published.filter((event) => event.type !== 'message.delta')).toEqual([])
    // The store still shows the run: it is the other instances' to flush, once for all.
    const session = await store.getSession('alice', 's1')
    expect(session?.status).toBe('Running')
    expect(session?.messages.map((m) => m.role)).toEqual(['user'])
    await store.close()
  })

  it('is stopped just the same when its renewals never answer', async () => {
    const { store, clock, scripted, done, finished, published } = await cutOffInstance('hang')
    scripted.send('partial ')
    clock.advance(LEASE_MS)
    // The first heartbeat's renewal hangs; the next one, seeing it unanswered, stops the run.
    await done
    expect(finished).toEqual([])
    expect(published.filter((event) => event.type !== 'message.delta')).toEqual([])
    expect((await store.getSession('alice', 's1'))?.status).toBe('Running')
    await store.close()
  })

  it('goes on while the renewals succeed, and records its end', async () => {
    const { store, clock, runs, scripted, done, finished } = await cutOffInstance('succeed')
    clock.advance(LEASE_MS)
    // Several heartbeats go by, renewing; the run is still going.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS))
    expect(runs.activeCount).toBe(1)
    scripted.send('Done')
    scripted.finish()
    await done
    expect(finished).toEqual(['s1'])
    expect((await store.getSession('alice', 's1'))?.status).toBe('Ready')
    await store.close()
  })
})

import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../src/config/config.ts'
import { createAgentRegistry } from '../src/domain/agent-registry.ts'
import { systemClock } from '../src/domain/clock.ts'
import { RunCoordinator } from '../src/domain/run-coordinator.ts'
import { createInMemoryRunEvents } from '../src/domain/run-events.ts'
import { SessionService } from '../src/domain/session-service.ts'
import type { NewFile } from '../src/domain/session-store.ts'
import { createJsonLogger } from '../src/logger.ts'
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts'
import { createControlledAgent } from './test-app.ts'

async function serviceWith(agent: ReturnType<typeof createControlledAgent>['agent']) {
  const store = openSqliteStore(':memory:')
  await store.migrate()
  const runs = new RunCoordinator({
    store,
    clock: systemClock,
    logger: createJsonLogger('silent'),
    events: createInMemoryRunEvents({ retentionMs: defaultConfig.eventsRetentionMs }),
    runTimeoutMs: defaultConfig.runTimeoutMs,
    titleTimeoutMs: defaultConfig.agentTitleTimeoutMs,
    instance: 'test',
    leaseMs: defaultConfig.runLeaseMs,
  })
  const service = new SessionService({
    store,
    agents: createAgentRegistry([agent]),
    clock: systemClock,
    runs,
    runWaitMs: 30_000,
  })
  return { service, store }
}

describe('SessionService.create', () => {
  it('takes the files over: the list it was handed is empty once they are stored', async () => {
    const slow = createControlledAgent()
    const { service, store } = await serviceWith(slow.agent)
    const bytes = new Uint8Array([1, 2, 3])
    let told = 0
    const files: Omit<NewFile, 'id'>[] = [
      {
        name: 'a.bin',
        contentType: 'application/octet-stream',
        chunks: [bytes],
        size: 3,
        sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81',
        // As the HTTP layer does once told: the memory is let go (here: overwritten).
        stored: () => {
          told += 1
          bytes.fill(0)
        },
      },
    ]
    const created = service.create(
      { owner: 'alice', agentId: 'slow', text: 'Hello', files },
      { respondAsync: false },
    )
    // The create now waits for the run, which waits for the agent's answer.
    await expect.poll(() => files.length).toBe(0)
    expect(told).toBe(1)
    slow.answer('Done')
    const session = await created
    if (typeof session === 'string') throw new Error(session)
    expect(session.status).toBe('Ready')
    const file = session.messages[0]?.files[0]
    expect(file).toMatchObject({ name: 'a.bin', size: 3 })
    const stored = await store.readFileBytes(session.id, file?.id ?? '')
    expect([...(stored ?? [])]).toEqual([1, 2, 3])
  })

  it('keeps the files of a create that names an unknown agent', async () => {
    const { service } = await serviceWith(createControlledAgent().agent)
    const files: Omit<NewFile, 'id'>[] = [
      {
        name: 'a.bin',
        contentType: 'text/plain',
        chunks: [new Uint8Array(1)],
        size: 1,
        sha256: '',
      },
    ]
    const outcome = await service.create(
      { owner: 'alice', agentId: 'nobody', text: 'Hello', files },
      { respondAsync: true },
    )
    expect(outcome).toBe('agent_not_found')
    expect(files).toHaveLength(1)
  })
})

describe('SessionService.continue', () => {
  it('tells the files’ holder once they are stored, before the run ends', async () => {
    const slow = createControlledAgent()
    const { service, store } = await serviceWith(slow.agent)
    const opened = await service.create(
      { owner: 'alice', agentId: 'slow', text: 'Hello', files: [] },
      { respondAsync: true },
    )
    if (typeof opened === 'string') throw new Error(opened)
    slow.answer('Hi')
    await expect
      .poll(async () => {
        const session = await service.get('alice', opened.id)
        return session === 'not_found' ? session : session.status
      })
      .toBe('Ready')
    const bytes = new Uint8Array([4, 5])
    let told = 0
    const files: Omit<NewFile, 'id'>[] = [
      {
        name: 'b.bin',
        contentType: 'application/octet-stream',
        chunks: [bytes],
        size: 2,
        sha256: '',
        stored: () => {
          told += 1
          bytes.fill(0)
        },
      },
    ]
    const turn = service.continue('alice', opened.id, 'More', { respondAsync: false }, files)
    await expect.poll(() => told).toBe(1)
    expect(files).toEqual([])
    slow.answer('Done')
    const session = await turn
    if (typeof session === 'string' || 'queued' in session) throw new Error('not a turn')
    const file = session.messages.at(-2)?.files[0]
    expect(file).toMatchObject({ name: 'b.bin', size: 2 })
    const stored = await store.readFileBytes(session.id, file?.id ?? '')
    expect([...(stored ?? [])]).toEqual([4, 5])
  })
})

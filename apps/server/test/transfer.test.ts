/**
 * Export and import on both stores: a round trip keeps ids, times, names, labels and files;
 * importing twice adds nothing; another owner's session of the same id is a conflict and stays
 * as it was; the original service's sessions import by the documented mapping; bad lines are
 * reported while the others go on.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from '../src/domain/search-query.ts'
import { derivedId } from '../src/domain/session-import.ts'
import type { SessionRecord, SessionStore } from '../src/domain/session-store.ts'
import {
  exportSessions,
  type ImportReport,
  importSessions,
  MAX_IMPORT_SESSIONS,
} from '../src/domain/session-transfer.ts'
import { toSession } from '../src/http/presenters.ts'
import { storeDatabases } from './support/store-databases.ts'

const T0 = new Date('2031-05-01T10:00:00.000Z')
const MAX_FILE = 1024

describe.each(storeDatabases())('export and import on $name', (databases) => {
  let store: SessionStore
  let other: SessionStore

  beforeAll(() => databases.setUp(), 60_000)
  afterAll(() => databases.tearDown(), 60_000)
  beforeEach(async () => {
    store = (await databases.newDatabase()).open()
    other = (await databases.newDatabase()).open()
    await store.migrate()
    await other.migrate()
  })
  afterEach(async () => {
    await store.close()
    await other.close()
  })

  const imported = async (target: SessionStore, owner: string, lines: unknown[]) =>
    (await importSessions(
      target,
      owner,
      lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'),
      MAX_FILE,
    )) as ImportReport

  /** Every session of the owner, as an export line with the files' bytes inline. */
  async function exported(target: SessionStore, owner: string): Promise<unknown[]> {
    const lines: unknown[] = []
    for await (const session of exportSessions(target, owner)) {
      const wire = toSession(session)
      for (const message of wire.messages)
        for (const file of message.files ?? []) {
          const data = await target.readFileBytes(session.id, file.id)
          file.data_base64 = Buffer.from(data ?? []).toString('base64')
        }
      lines.push(wire)
    }
    return lines
  }

  async function seed(id: string, owner = 'alice') {
    const run = { runId: crypto.randomUUID(), instance: 'a', leaseExpiresAt: T0 }
    await store.createSession({
      id,
      owner,
      agentId: 'echo',
      name: `Session ${id}`,
      now: T0,
      message: {
        id: `${id}-m1`,
        text: `wallaby notes for ${id}`,
        files: [
          {
            id: `${id}-f1`,
            name: 'notes.txt',
            contentType: 'text/plain',
            size: 5,
            sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
            chunks: [new TextEncoder().encode('hello')],
          },
        ],
      },
      run,
    })
    await store.finishRun({
      sessionId: id,
      runId: run.runId,
      now: new Date(T0.getTime() + 1000),
      reply: { id: `${id}-m2`, text: 'a reply' },
      status: 'Ready',
      error: null,
      lastEventId: 0,
    })
    await store.updateSession(owner, id, {
      pinned: true,
      tags: ['research'],
      metadata: { project: 'alpha' },
      maxMetadataPairs: 16,
    })
  }

  const comparable = (session: SessionRecord | undefined) => {
    if (!session) return session
    const { lastEventId: _, run: __, ...rest } = session
    return rest
  }

  it('exports every session, page after page, and imports it elsewhere as it was', async () => {
    // More than a page of the export's reads.
    for (let n = 0; n < 25; n++) await seed(`s-${String(n).padStart(2, '0')}`)
    const lines = await exported(store, 'alice')
    expect(lines).toHaveLength(25)
    const report = await imported(other, 'alice', lines)
    expect(report.counts).toEqual({ imported: 25, skipped: 0, conflict: 0, invalid: 0 })
    const before = await store.getSession('alice', 's-07')
    const after = await other.getSession('alice', 's-07')
    expect(comparable(after)).toEqual({ ...comparable(before), usage: undefined })
    expect(Buffer.from((await other.readFileBytes('s-07', 's-07-f1')) ?? []).toString()).toBe(
      'hello',
    )
    // The search index has them, as with any write.
    const query = parseSearchQuery('wallaby') as SearchQuery
    const page = await other.searchSessions({ owner: 'alice', query, limit: 50, offset: 0 })
    expect(page.hits).toHaveLength(25)
    // And the list filters know their labels.
    const tagged = await other.recentSessions({
      owner: 'alice',
      limit: 50,
      filter: { archived: false, tags: ['research'], metadata: [['project', 'alpha']] },
    })
    expect(tagged).toHaveLength(25)
  })

  it('adds nothing when the same lines are imported twice', async () => {
    await seed('s-1')
    const lines = await exported(store, 'alice')
    expect((await imported(other, 'alice', lines)).counts.imported).toBe(1)
    const again = await imported(other, 'alice', lines)
    expect(again.counts).toEqual({ imported: 0, skipped: 1, conflict: 0, invalid: 0 })
    expect(again.lines).toEqual([{ line: 1, id: 's-1', result: 'skipped' }])
    expect((await other.getSession('alice', 's-1'))?.messages).toHaveLength(2)
  })

  it("never touches another owner's session of the same id: a conflict", async () => {
    await seed('shared')
    const lines = (await exported(store, 'alice')) as Array<Record<string, unknown>>
    const theirs = { ...lines[0], name: 'Not yours' }
    const report = await imported(store, 'mallory', [theirs])
    expect(report.lines[0]).toMatchObject({ id: 'shared', result: 'conflict' })
    expect((await store.getSession('alice', 'shared'))?.name).toBe('Session shared')
    expect(await store.getSession('mallory', 'shared')).toBeUndefined()
    // A new session id whose message ids are taken is a conflict too, and writes nothing.
    const reused = await imported(store, 'mallory', [{ ...lines[0], id: 'fresh' }])
    expect(reused.lines[0]?.result).toBe('conflict')
    expect(await store.getSession('mallory', 'fresh')).toBeUndefined()
  })

  it("imports the original service's sessions by the documented mapping", async () => {
    const original = {
      id: 'legacy-1',
      agent_id: 'echo',
      created_at: '2024-05-01T10:00:00Z',
      updated_at: '2024-05-01T10:05:00Z',
      status: 'Ready',
      routine_id: null,
      messages: [
        { role: 'user', text: 'Plan a   diary study' },
        { role: 'assistant', text: 'Here is a plan' },
      ],
    }
    const report = await imported(store, 'alice', [original])
    expect(report.counts.imported).toBe(1)
    const session = await store.getSession('alice', 'legacy-1')
    expect(session).toMatchObject({
      name: 'Plan a diary study',
      status: 'Ready',
      createdAt: new Date('2024-05-01T10:00:00Z'),
      updatedAt: new Date('2024-05-01T10:05:00Z'),
      messages: [
        {
          id: derivedId('legacy-1', 'message', '0'),
          createdAt: new Date('2024-05-01T10:00:00Z'),
        },
        {
          id: derivedId('legacy-1', 'message', '1'),
          createdAt: new Date('2024-05-01T10:05:00Z'),
        },
      ],
    })
    // The same ids again: nothing added.
    expect((await imported(store, 'alice', [original])).counts.skipped).toBe(1)
  })

  it('reports bad lines and goes on; files exported as links are left out and counted', async () => {
    await seed('s-1')
    const [line] = (await exported(store, 'alice')) as Array<Record<string, unknown>>
    const asLinks = JSON.parse(JSON.stringify(line), (key, value) =>
      key === 'data_base64' ? undefined : value,
    )
    const report = await imported(other, 'alice', [
      'not json',
      { id: 'x', agent_id: 'echo' },
      {
        ...line,
        id: 'big',
        messages: [
          {
            role: 'user',
            text: 'x',
            files: [{ data_base64: Buffer.alloc(MAX_FILE + 1).toString('base64') }],
          },
        ],
      },
      '',
      asLinks,
    ])
    expect(report.counts).toEqual({ imported: 1, skipped: 0, conflict: 0, invalid: 3 })
    expect(report.lines.map((l) => [l.line, l.result])).toEqual([
      [1, 'invalid'],
      [2, 'invalid'],
      [3, 'invalid'],
      [5, 'imported'],
    ])
    expect(report.lines[1]).toMatchObject({
      id: 'x',
      detail: 'created_at: a date-time is required',
    })
    expect(report.lines[2]?.detail).toBe(`messages[0].files[0]: larger than ${MAX_FILE} bytes`)
    expect(report.lines[3]).toMatchObject({ id: 's-1', filesLeftOut: 1 })
    expect((await other.getSession('alice', 's-1'))?.messages[0]?.files).toEqual([])
  })

  it(`takes ${MAX_IMPORT_SESSIONS} sessions at most`, async () => {
    const line = (n: number) =>
      JSON.stringify({ id: `n-${n}`, agent_id: 'echo', created_at: T0.toISOString(), messages: [] })
    const lines = (count: number) => Array.from({ length: count }, (_, n) => line(n)).join('\n')
    expect(await importSessions(store, 'alice', lines(MAX_IMPORT_SESSIONS + 1), MAX_FILE)).toBe(
      'too_many_sessions',
    )
    const report = (await importSessions(
      store,
      'alice',
      lines(MAX_IMPORT_SESSIONS),
      MAX_FILE,
    )) as ImportReport
    expect(report.counts.imported).toBe(MAX_IMPORT_SESSIONS)
  }, 60_000)
})

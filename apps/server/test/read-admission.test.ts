/**
 * Admission of reads (`domain/admission.ts`): at most `slots` works at once, the others started
 * oldest first as slots free, a failure freeing its slot, at most `maxWaiting` waiting; and the
 * server admitting no more kept reads at once than its store's `readsAtOnce` (PostgreSQL: its
 * pool's connections), with every answer the same as without admission, and answering `503`
 * to a read past `MAX_WAITING_READS` waiting.
 */
import type { Session } from '@uxmate/contract'
import { afterEach, describe, expect, it } from 'vitest'
import { defaultConfig } from '../src/config/config.ts'
import { ADMISSION_FULL, admission } from '../src/domain/admission.ts'
import type { SessionStore } from '../src/domain/session-store.ts'
import { ServerMetrics } from '../src/observability/metrics.ts'
import { parseExposition, sampled } from './support/prometheus.ts'
import { createTestApp, deferred, sessionForm } from './test-app.ts'

/** Lets every pending promise job run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('admission', () => {
  it('runs at most its slots at once and starts the others oldest first', async () => {
    const admit = admission(2, 10)
    const works = [0, 1, 2, 3].map(() => deferred<string>())
    const started: number[] = []
    const answers = works.map((work, i) =>
      admit(() => {
        started.push(i)
        return work.promise
      }),
    )
    await settle()
    expect(started).toEqual([0, 1])
    works[1]?.resolve('one')
    await settle()
    expect(started).toEqual([0, 1, 2])
    works[0]?.resolve('zero')
    await settle()
    expect(started).toEqual([0, 1, 2, 3])
    works[2]?.resolve('two')
    works[3]?.resolve('three')
    expect(await Promise.all(answers)).toEqual(['zero', 'one', 'two', 'three'])
  })

  it('frees the slot of a work that fails, and passes its error on', async () => {
    const admit = admission(1, 10)
    const failing = deferred<string>()
    const started: string[] = []
    const first = admit(() => {
      started.push('first')
      return failing.promise
    })
    const second = admit(async () => {
      started.push('second')
      return 'second'
    })
    await settle()
    expect(started).toEqual(['first'])
    failing.reject(new Error('connection lost'))
    await expect(first).rejects.toThrow('connection lost')
    expect(await second).toBe('second')
    // Its slot is free again: a work given now starts at once.
    let ran = false
    await admit(async () => {
      ran = true
    })
    expect(ran).toBe(true)
  })

  it('holds at most maxWaiting works waiting, refuses one more at once, and takes works again as they start', async () => {
    const admit = admission(1, 2)
    const works = [0, 1, 2].map(() => deferred<number>())
    const started: number[] = []
    const admitted = works.map((work, i) =>
      admit(() => {
        started.push(i)
        return work.promise
      }),
    )
    let refusedRan = false
    // One running, two waiting: the fourth is refused, unrun.
    const refused = admit(async () => {
      refusedRan = true
    })
    expect(await refused).toBe(ADMISSION_FULL)
    expect(refusedRan).toBe(false)
    works[0]?.resolve(0)
    await settle()
    expect(started).toEqual([0, 1])
    // One waits now: there is room for one more again.
    const again = admit(async () => 'again')
    works[1]?.resolve(1)
    works[2]?.resolve(2)
    expect(await Promise.all([...admitted, again])).toEqual([0, 1, 2, 'again'])
  })

  it('with maxWaiting 0, runs a work at once or not at all', async () => {
    const admit = admission(1, 0)
    const running = deferred<string>()
    const first = admit(() => running.promise)
    expect(await admit(async () => 'second')).toBe(ADMISSION_FULL)
    running.resolve('first')
    expect(await first).toBe('first')
    expect(await admit(async () => 'third')).toBe('third')
  })
})

describe('the server admits no more kept reads at once than its store takes', () => {
  let shutdown: ((graceMs: number) => Promise<void>) | undefined
  afterEach(async () => {
    await shutdown?.(0)
    shutdown = undefined
  })

  /**
   * The app on a store whose session reads wait for `gate`, with `readsAtOnce` as given; and
   * how many of those reads ran at once, at most.
   */
  async function gatedApp(
    readsAtOnce: number | undefined,
    gate: Promise<void>,
    maxWaitingReads = defaultConfig.maxWaitingReads,
    metrics?: ServerMetrics,
  ) {
    const running = { now: 0, most: 0 }
    const wrapStore = (store: SessionStore): SessionStore => {
      const getSessionJson = store.getSessionJson?.bind(store)
      if (!getSessionJson) throw new Error('the test store has no JSON reads')
      return {
        ...store,
        readsAtOnce,
        async getSessionJson(owner, id) {
          running.now++
          running.most = Math.max(running.most, running.now)
          try {
            await gate
            return await getSessionJson(owner, id)
          } finally {
            running.now--
          }
        },
      }
    }
    const opened = await createTestApp({ wrapStore, config: { maxWaitingReads }, metrics })
    shutdown = opened.shutdown
    const created = await opened.app.request('/sessions/text', {
      method: 'POST',
      body: sessionForm({ agent_id: 'echo', text_prompt: 'Hello' }),
    })
    const session = (await created.json()) as Session
    return { app: opened.app, session, running }
  }

  it.each([
    { readsAtOnce: 2, most: 2 },
    { readsAtOnce: undefined, most: 5 },
  ])(
    'readsAtOnce $readsAtOnce: $most at once of 5, the same answers',
    async ({ readsAtOnce, most }) => {
      const gate = deferred<void>()
      const { app, session, running } = await gatedApp(readsAtOnce, gate.promise)
      const answers = Array.from({ length: 5 }, () => app.request(`/sessions/${session.id}`))
      await settle()
      gate.resolve()
      const bodies = await Promise.all(
        answers.map(async (answer) => {
          const response = await answer
          expect(response.status).toBe(200)
          return response.text()
        }),
      )
      expect(running.most).toBe(most)
      for (const body of bodies) expect(JSON.parse(body)).toMatchObject({ id: session.id })
      expect(new Set(bodies).size).toBe(1)
    },
  )

  it('answers 503 with Retry-After to a read past MAX_WAITING_READS waiting, and the others as before', async () => {
    const gate = deferred<void>()
    const metrics = new ServerMetrics()
    const { app, session, running } = await gatedApp(1, gate.promise, 2, metrics)
    // One reading, two waiting: the fourth finds the queue full.
    const answers = Array.from({ length: 3 }, () => app.request(`/sessions/${session.id}`))
    await settle()
    const refused = await app.request(`/sessions/${session.id}`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toEqual({ detail: 'The server is busy; retry in 1 s' })
    const samples = parseExposition(await metrics.scrape())
    expect(sampled(samples, 'uxmate_http_refused_total', { reason: 'reads_busy' })).toBe(1)
    gate.resolve()
    for (const answer of await Promise.all(answers)) expect(answer.status).toBe(200)
    expect(running.most).toBe(1)
    // The queue emptied: a read is answered again.
    expect((await app.request(`/sessions/${session.id}`)).status).toBe(200)
  })
})

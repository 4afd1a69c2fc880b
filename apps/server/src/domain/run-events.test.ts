import { afterEach, describe, expect, it, vi } from 'vitest'
import { createInMemoryRunEvents, type RunEvent } from './run-events.ts'

const status = (id: number, value: 'Running' | 'Ready'): RunEvent => ({
  id,
  type: 'status',
  status: value,
})
const delta = (id: number, text: string): RunEvent => ({ id, type: 'message.delta', text })

function collector() {
  const events: RunEvent[] = []
  let ends = 0
  return {
    events,
    ends: () => ends,
    subscriber: { onEvent: (event: RunEvent) => events.push(event), onRunEnd: () => ends++ },
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createInMemoryRunEvents', () => {
  it('replays the run in progress after Last-Event-ID, then delivers what follows', () => {
    const events = createInMemoryRunEvents({ retentionMs: 1_000 })
    const log = events.begin('s', 'r1')
    log.publish(status(1, 'Running'))
    log.publish(delta(2, 'a'))
    const all = collector()
    const after = collector()
    const everything = events.subscribe('s', undefined, all.subscriber)
    const resumed = events.subscribe('s', 1, after.subscriber)
    expect(everything.replay.map((event) => event.id)).toEqual([1, 2])
    expect(resumed.replay.map((event) => event.id)).toEqual([2])
    expect(resumed.running).toBe(true)
    log.publish(delta(3, 'b'))
    log.publish(status(4, 'Ready'))
    log.end()
    expect(all.events.map((event) => event.id)).toEqual([3, 4])
    expect(after.ends()).toBe(1)
    everything.close()
    resumed.close()
  })

  it('keeps a finished run for reconnections with Last-Event-ID only, for retentionMs', () => {
    vi.useFakeTimers()
    const events = createInMemoryRunEvents({ retentionMs: 1_000 })
    const log = events.begin('s', 'r1')
    log.publish(status(1, 'Running'))
    log.publish(status(2, 'Ready'))
    log.end()
    const fresh = events.subscribe('s', undefined, collector().subscriber)
    expect(fresh).toMatchObject({ replay: [], running: false })
    fresh.close()
    const back = events.subscribe('s', 1, collector().subscriber)
    expect(back.replay.map((event) => event.id)).toEqual([2])
    back.close()
    vi.advanceTimersByTime(1_000)
    const late = events.subscribe('s', 1, collector().subscriber)
    expect(late.replay).toEqual([])
    late.close()
  })

  it('keeps at most maxUnfollowedEvents of runs nobody followed, oldest dropped first', () => {
    const events = createInMemoryRunEvents({ retentionMs: 60_000, maxUnfollowedEvents: 4 })
    const run = (sessionId: string, first: number) => {
      const log = events.begin(sessionId, `${sessionId}-${first}`)
      log.publish(status(first, 'Running'))
      log.publish(status(first + 1, 'Ready'))
      log.end()
    }
    // Followed while it ran: kept for retentionMs whatever the cap.
    const follower = events.subscribe('followed', undefined, collector().subscriber)
    run('followed', 1)
    follower.close()
    run('a', 1)
    run('b', 1)
    run('c', 1)
    const replayOf = (sessionId: string) => {
      const subscription = events.subscribe(sessionId, 0, collector().subscriber)
      subscription.close()
      return subscription.replay.map((event) => event.id)
    }
    expect(replayOf('a')).toEqual([])
    expect(replayOf('b')).toEqual([1, 2])
    expect(replayOf('c')).toEqual([1, 2])
    expect(replayOf('followed')).toEqual([1, 2])
    // A new run of a kept session replaces its old one, and its count with it.
    run('b', 3)
    run('d', 1)
    expect(replayOf('b')).toEqual([3, 4])
    expect(replayOf('c')).toEqual([])
    expect(replayOf('d')).toEqual([1, 2])
  })

  it('ignores an older run once a newer one has begun', () => {
    const events = createInMemoryRunEvents({ retentionMs: 1_000 })
    const older = events.begin('s', 'r1')
    const newer = events.begin('s', 'r2')
    const seen = collector()
    const subscription = events.subscribe('s', undefined, seen.subscriber)
    older.publish(delta(5, 'stale'))
    older.end()
    newer.publish(status(6, 'Running'))
    expect(seen.events.map((event) => event.id)).toEqual([6])
    expect(seen.ends()).toBe(0)
    expect(subscription.running).toBe(true)
    subscription.close()
  })
})

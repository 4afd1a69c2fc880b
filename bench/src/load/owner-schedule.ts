/**
 * When each owner of an open-loop run does what: a sidebar poll every `pollEveryMs`, and a turn
 * every `streamEveryMs` (owners that stream) or `writeEveryMs` (the others), each owner at
 * phases of its own. Phases are drawn from a seeded generator, so owners do not all poll at
 * once nor in a neat comb, and every run of one plan has the same schedule.
 */

import { random } from '../seed/random.ts'

export type VisitKind = 'poll' | 'turn'

/** One request of the schedule: due `due` ms after the run's start. */
export interface Visit {
  due: number
  owner: number
  kind: VisitKind
}

export interface SchedulePlan {
  owners: number
  pollEveryMs: number
  /** One owner in this many streams (0: none). */
  streamEvery: number
  streamEveryMs: number
  /** The other owners' turns (0: none). */
  writeEveryMs: number
  /** No visit is due at or after this. */
  endMs: number
  seed?: number
}

/**
 * Whether `owner` is one of the owners whose turns stream.
 *
 * @example
 * ```ts
 * streams(40, 20) // true
 * ```
 */
export function streams(owner: number, streamEvery: number): boolean {
  return streamEvery > 0 && owner % streamEvery === 0
}

/**
 * The visits of a plan in the order they are due, made as they are taken (a binary heap with
 * one pending visit per owner and kind), so a run of thousands of owners holds a few thousand.
 *
 * @example
 * ```ts
 * const schedule = new OwnerSchedule({ owners: 2, pollEveryMs: 2000, streamEvery: 0,
 *   streamEveryMs: 0, writeEveryMs: 0, endMs: 4000 })
 * schedule.take() // { due: <phase of one owner>, owner: …, kind: 'poll' }
 * ```
 */
export class OwnerSchedule {
  readonly #plan: SchedulePlan
  readonly #heap: Visit[] = []

  constructor(plan: SchedulePlan) {
    this.#plan = plan
    const next = random(plan.seed ?? 21)
    for (let owner = 0; owner < plan.owners; owner++) {
      this.#push({ due: next() * plan.pollEveryMs, owner, kind: 'poll' })
      const every = this.#everyMs(owner, 'turn')
      if (every > 0) this.#push({ due: next() * every, owner, kind: 'turn' })
    }
  }

  /** When the next visit is due; undefined when the schedule is done. */
  peekDue(): number | undefined {
    return this.#heap[0]?.due
  }

  /** The next visit (its successor is queued); undefined when the schedule is done. */
  take(): Visit | undefined {
    const top = this.#heap[0]
    if (!top) return undefined
    const last = this.#heap.pop() as Visit
    if (this.#heap.length > 0) {
      this.#heap[0] = last
      this.#down(0)
    }
    this.#push({ ...top, due: top.due + this.#everyMs(top.owner, top.kind) })
    return top
  }

  #everyMs(owner: number, kind: VisitKind): number {
    const plan = this.#plan
    if (kind === 'poll') return plan.pollEveryMs
    return streams(owner, plan.streamEvery) ? plan.streamEveryMs : plan.writeEveryMs
  }

  #push(visit: Visit): void {
    if (visit.due >= this.#plan.endMs) return
    const heap = this.#heap
    heap.push(visit)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if ((heap[parent] as Visit).due <= visit.due) break
      heap[index] = heap[parent] as Visit
      index = parent
    }
    heap[index] = visit
  }

  #down(start: number): void {
    const heap = this.#heap
    const visit = heap[start] as Visit
    let index = start
    for (;;) {
      const left = 2 * index + 1
      if (left >= heap.length) break
      const right = left + 1
      const child =
        right < heap.length && (heap[right] as Visit).due < (heap[left] as Visit).due ? right : left
      if ((heap[child] as Visit).due >= visit.due) break
      heap[index] = heap[child] as Visit
      index = child
    }
    heap[index] = visit
  }
}

import type { SessionStore } from '../storage/session-store.ts'

/** Ids reserved in the store at a time: one write per this many events. */
const BLOCK = 1_000

/**
 * The event ids of one run: reserved in the store a block at a time, so that ids keep increasing
 * across runs even when the server crashed mid-run and never recorded the last one it gave out.
 *
 * @example
 * ```ts
 * const ids = await EventIds.reserve(store, sessionId)
 * log.publish({ id: await ids.next(), type: 'status', status: 'Running' })
 * ```
 */
export class EventIds {
  #next: number
  #ceiling: number

  private constructor(
    private readonly store: SessionStore,
    private readonly sessionId: string,
    first: number,
  ) {
    this.#next = first
    this.#ceiling = first + BLOCK - 1
  }

  /** Reserves the first block of ids of a run of the session. */
  static async reserve(store: SessionStore, sessionId: string): Promise<EventIds> {
    return new EventIds(store, sessionId, await store.reserveEventIds(sessionId, BLOCK))
  }

  /** The next id, reserving another block first when this one is used up. */
  async next(): Promise<number> {
    if (this.#next > this.#ceiling) {
      const first = await this.store.reserveEventIds(this.sessionId, BLOCK)
      // Nothing else reserves for this session during the run, so the blocks are contiguous.
      this.#next = Math.max(this.#next, first)
      this.#ceiling = first + BLOCK - 1
    }
    return this.#next++
  }
}

import type { SessionStore } from './session-store.ts'

/** Ids reserved in the store at a time: one write per this many events. */
export const EVENT_ID_BLOCK = 1_000

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
    this.#ceiling = first + EVENT_ID_BLOCK - 1
  }

  /** Reserves the first block of ids of a run of the session. */
  static async reserve(store: SessionStore, sessionId: string): Promise<EventIds> {
    return new EventIds(store, sessionId, await store.reserveEventIds(sessionId, EVENT_ID_BLOCK))
  }

  /**
   * The ids of a run whose first block the store already reserved (with the session's create
   * or turn, `reserveEventIds: EVENT_ID_BLOCK`), starting at `first`.
   */
  static reserved(store: SessionStore, sessionId: string, first: number): EventIds {
    return new EventIds(store, sessionId, first)
  }

  /** The next id, reserving another block first when this one is used up. */
  async next(): Promise<number> {
    if (this.#next > this.#ceiling) {
      const first = await this.store.reserveEventIds(this.sessionId, EVENT_ID_BLOCK)
      // Nothing else reserves for this session during the run, so the blocks are contiguous.
      this.#next = Math.max(this.#next, first)
      this.#ceiling = first + EVENT_ID_BLOCK - 1
    }
    return this.#next++
  }
}

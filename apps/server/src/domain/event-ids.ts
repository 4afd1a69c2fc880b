import type { SessionStore } from './session-store.ts'

/** Ids reserved in the store at a time: one write per this many events. */
export const EVENT_ID_BLOCK = 1_000

/**
 * The event ids of one run: reserved in the store a block at a time, so that ids keep increasing
 * across runs even when the server crashed mid-run and never recorded the last one it gave out.
 *
 * @example
 * ```ts
 * const ids = await EventIds.reserve(store, sessionId, runId)
 * log.publish({ id: await ids.next(), type: 'status', status: 'Running' })
 * ```
 */
export class EventIds {
  #next: number
  #ceiling: number

  private constructor(
    private readonly store: SessionStore,
    private readonly sessionId: string,
    /** The run they are of: a block is reserved only while it is the session's run. */
    private readonly runId: string | undefined,
    first: number,
  ) {
    this.#next = first
    this.#ceiling = first + EVENT_ID_BLOCK - 1
  }

  /** Reserves the first block of ids of the session's run `runId`. */
  static async reserve(
    store: SessionStore,
    sessionId: string,
    runId: string | undefined,
  ): Promise<EventIds> {
    const first = await store.reserveEventIds(sessionId, EVENT_ID_BLOCK, runId)
    return new EventIds(store, sessionId, runId, first)
  }

  /**
   * The ids of a run whose first block the store already reserved (with the session's create
   * or turn, `reserveEventIds: EVENT_ID_BLOCK`), starting at `first`.
   */
  static reserved(
    store: SessionStore,
    sessionId: string,
    runId: string | undefined,
    first: number,
  ): EventIds {
    return new EventIds(store, sessionId, runId, first)
  }

  /** The next id, reserving another block first when this one is used up. */
  async next(): Promise<number> {
    if (this.#next > this.#ceiling) {
      const first = await this.store.reserveEventIds(this.sessionId, EVENT_ID_BLOCK, this.runId)
      // Nothing else reserves for this session during the run, so the blocks are contiguous.
      this.#next = Math.max(this.#next, first)
      this.#ceiling = first + EVENT_ID_BLOCK - 1
    }
    return this.#next++
  }
}

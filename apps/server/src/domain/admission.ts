/**
 * Admission of work to a bounded resource: at most `slots` works at once, the others waiting
 * their turn, oldest first, before they have made anything.
 *
 * Why (issue 21, docs/performance.md): on PostgreSQL, 50 reads in flight on a pool of 10
 * connections each made their request's objects (handler, query, promises) and then waited.
 * Waiting outlived a scavenge or two, so those objects were promoted to the old generation;
 * when the connection came, the rows, the parsed JSON and the text written from them were hung
 * on those old objects, and a scavenge keeps alive whatever an old object points to until the
 * next full collection. The young generation stayed full (a scavenge of 8 MB freed 1-3 MB) and
 * the collector was most of a grouped or list read. Waiting for admission holds one closure and
 * one promise that resolves to nothing; what a read makes is made once it is admitted, and
 * dies young.
 */

/** What an admission answers instead of running a work when as many as it holds already wait. */
export const ADMISSION_FULL = Symbol('admission full')

/**
 * Runs `work` once it is admitted, and answers what it answers; or, where every slot is taken
 * and the most works that may wait already do, {@link ADMISSION_FULL} at once, `work` not run.
 */
export type Admit = <T>(work: () => Promise<T>) => Promise<T | typeof ADMISSION_FULL>

/**
 * An admission of at most `slots` works at once (at least one), with at most `maxWaiting` more
 * waiting (none: a work runs at once or not at all); a work that fails frees its slot as one
 * that succeeds does. Why a bound: a store that slows down or stops answering (PostgreSQL
 * restarting, a long lock) would otherwise gather every read sent meanwhile, each holding its
 * request and socket until its client gives up, and answer them all late; refused at once, a
 * client retries after a while or on another instance.
 *
 * @example
 * ```ts
 * const admit = admission(10, 1000)
 * const rows = await admit(async () => (await pool.query(statement)).rows)
 * if (rows === ADMISSION_FULL) return busy()
 * ```
 */
export function admission(slots: number, maxWaiting: number): Admit {
  let free = Math.max(1, slots)
  const waiting: (() => void)[] = []
  const release = () => {
    const next = waiting.shift()
    // The slot passes straight to the oldest waiting work, so none can overtake it.
    if (next) next()
    else free++
  }
  return async (work) => {
    if (free > 0) free--
    else if (waiting.length >= maxWaiting) return ADMISSION_FULL
    else await new Promise<void>((admitted) => waiting.push(admitted))
    try {
      return await work()
    } finally {
      release()
    }
  }
}

/**
 * Answers to reads kept as the bytes sent, until the owner's sessions change: a sidebar that
 * polls, or a page that reloads, gets them without a query or a `JSON.stringify`. Turning 50
 * sessions into JSON costs ~30 times what HTTP itself does; a kept answer costs a `Map` lookup.
 *
 * Answers are kept by owner and request target (path and query as sent): the same target
 * validates the same way every time, so a kept answer is served before validation, which would
 * cost more than the rest of the hit.
 *
 * Every answer carries the `ETag` of its bytes and is answered `304` to an `If-None-Match` that
 * matches it (`conditional-answers.ts`); a kept answer keeps its tag, so a kept `304` costs no
 * hashing, and one not kept (a shared store, the cache off) is hashed as it is sent.
 */
import type { Context } from 'hono'
import type { ChangeVersions } from '../domain/change-versions.ts'
import type { Clock } from '../domain/clock.ts'
import { type CalendarDay, dayIn } from '../domain/recency-buckets.ts'
import type { AppEnv } from './app-env.ts'
import {
  CACHE_CONTROL,
  type ConditionalHeads,
  conditionalAnswer,
  conditionalHeads,
  entityTagOf,
} from './conditional-answers.ts'
import type { Next, Step } from './pipeline.ts'

interface Kept {
  version: number
  json: Uint8Array<ArrayBuffer>
  /** Its heads (`Content-Type`, `ETag`, `Cache-Control` and the security headers), made once. */
  heads: ConditionalHeads
  day?: CalendarDay
}

export interface ReadCacheOptions {
  /** The store's versions of owners' sessions; without them nothing is kept. */
  changes: ChangeVersions | undefined
  /** The most bytes of answers kept at once; the least recently used go first. */
  maxBytes: number
  clock: Clock
  /** Told of each lookup of a kept answer: whether it was found and current (metrics). */
  onLookup?: (hit: boolean) => void
}

export interface ReadCache {
  /**
   * Middleware between the guard and validation: answers with the kept bytes of this owner and
   * request target, if the owner's sessions have not changed since (nor the day, for an answer
   * kept with one), or with a `304` when the request's `If-None-Match` matches their `ETag`;
   * otherwise lets the route answer.
   */
  kept(): Step
  /**
   * Answers with the 200 JSON `read` gives (or a `304`, as `kept` does), and keeps it for the
   * same owner and request target.
   * `read` may answer otherwise (a 404, a 422) with a `Response` of its own, which is never
   * kept. An answer that depends on the date in a zone names that `day`. Operations declared
   * with `keptRead` are answered this way (see `operations/mount-operations.ts`).
   *
   * @example
   * ```ts
   * const steps = [guard, cache.kept(), fromMiddleware(validator)]
   * app.get('/sessions/:session_id', pipeline(steps, (c) =>
   *   cache.answer(c, async () => {
   *     const session = await sessions.get(c.get('owner'), c.req.param('session_id'))
   *     return session === 'not_found'
   *       ? c.json({ detail: 'Session not found' }, 404)
   *       : { body: toSession(session) }
   *   }),
   * ))
   * ```
   */
  answer(
    c: Context<AppEnv>,
    read: () => Promise<Response | FreshAnswer<unknown>>,
  ): Promise<Response>
}

/** A 200 answer as read, to send and keep: its body, or its body's JSON text already written. */
export type FreshAnswer<Body> = ({ body: Body } | { json: string }) & {
  /** The day in a zone it is only good for (grouped sessions' buckets). */
  day?: CalendarDay
}

const headsOf = (path: string, json: Uint8Array): ConditionalHeads =>
  conditionalHeads(path, {
    'Content-Type': 'application/json',
    ETag: entityTagOf(json),
    'Cache-Control': CACHE_CONTROL,
  })

/** The owner and the request target (path and query, without scheme and host). */
function keyOf(c: Context<AppEnv>): string {
  const url = c.req.url
  return `${c.get('owner')}\n${url.slice(url.indexOf('/', url.indexOf('//') + 2))}`
}

/**
 * A cache of read answers, bounded in bytes, checked against the store's versions on each hit.
 *
 * @example
 * ```ts
 * const cache = createReadCache({ changes: store.changes, maxBytes: 16 * 2 ** 20, clock })
 * ```
 */
export function createReadCache({
  changes,
  maxBytes,
  clock,
  onLookup,
}: ReadCacheOptions): ReadCache {
  // Insertion order is recency order: a hit moves its entry to the end.
  const kept = new Map<string, Kept>()
  let bytes = 0

  const drop = (key: string, entry: Kept) => {
    kept.delete(key)
    bytes -= entry.json.byteLength
  }
  const keep = (key: string, entry: Kept) => {
    const previous = kept.get(key)
    if (previous) drop(key, previous)
    if (entry.json.byteLength > maxBytes) return
    kept.set(key, entry)
    bytes += entry.json.byteLength
    for (const [oldKey, old] of kept) {
      if (bytes <= maxBytes) break
      drop(oldKey, old)
    }
  }
  const current = (entry: Kept, version: number) =>
    entry.version === version &&
    (!entry.day || dayIn(clock.now(), entry.day.zone) === entry.day.day)
  // The version each request's lookup found before it read, for its answer to be kept under.
  const looked = new WeakMap<Context<AppEnv>, number>()

  const lookUp = (c: Context<AppEnv>, next: Next, key: string, version: number) => {
    const hit = kept.get(key)
    if (!hit || !current(hit, version)) {
      onLookup?.(false)
      looked.set(c, version)
      return next()
    }
    onLookup?.(true)
    kept.delete(key)
    kept.set(key, hit)
    return conditionalAnswer(c, hit.json, hit.heads)
  }

  return {
    kept() {
      return (c, next) => {
        if (!changes) return next()
        const key = keyOf(c)
        // At hand (SQLite: answered with no promise at all), or one lookup in the shared store.
        const found = changes.of(c.get('owner'))
        return typeof found === 'number'
          ? lookUp(c, next, key, found)
          : found.then((version) => lookUp(c, next, key, version))
      }
    },

    async answer(c, read) {
      // Taken before reading: a write that lands meanwhile moves it, and what was read is
      // never served for the version after that write.
      const version = changes && (looked.get(c) ?? (await changes.of(c.get('owner'))))
      const result = await read()
      if (result instanceof Response) return result
      const json = Buffer.from('json' in result ? result.json : JSON.stringify(result.body))
      const heads = headsOf(c.req.path, json)
      if (version !== undefined)
        keep(keyOf(c), { version, json, heads, ...(result.day && { day: result.day }) })
      return conditionalAnswer(c, json, heads)
    },
  }
}

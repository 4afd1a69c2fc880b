/**
 * Answers to reads kept as the bytes sent, until the owner's sessions change: a sidebar that
 * polls, or a page that reloads, gets them without a query or a `JSON.stringify`. Turning 50
 * sessions into JSON costs ~30 times what HTTP itself does; a kept answer costs a `Map` lookup.
 */
import type { operations } from '@uxmate/contract'
import type { Context } from 'hono'
import type { ChangeVersions } from '../storage/change-tracking.ts'
import { completeAnswer } from './answer-headers.ts'
import type { AppEnv } from './app-env.ts'

interface Kept {
  version: number
  json: Uint8Array<ArrayBuffer>
}

export interface ReadCacheOptions {
  /** The store's versions of owners' sessions; without them (a shared store) nothing is kept. */
  changes: ChangeVersions | undefined
  /** The most bytes of answers kept at once; the least recently used go first. */
  maxBytes: number
}

export interface ReadCache {
  /**
   * Answers `operation` with its 200 JSON: the kept bytes of `key` if `owner`'s sessions have
   * not changed since they were kept, else what `read` gives. `read` may answer otherwise (a
   * 404) with a `Response` of its own, which is never kept. `key` must name everything the
   * answer depends on, besides the owner and their sessions.
   *
   * @example
   * ```ts
   * return cache.answer(c, 'get_session', c.get('owner'), `session ${id}`, async () => {
   *   const session = await store.getSession(c.get('owner'), id)
   *   return session ? toSession(session) : typedJson(c, 'get_session', 404, notFound)
   * })
   * ```
   */
  answer<Op extends CachedOperation>(
    c: Context<AppEnv>,
    operation: Op,
    owner: string,
    key: string,
    read: () => Promise<OkBody[Op] | Response>,
  ): Promise<Response>
}

/** The reads whose answers depend on nothing but their request, the owner and their sessions. */
type CachedOperation = 'get_session' | 'get_sessions' | 'get_grouped_sessions'
type OkBody = {
  [Op in CachedOperation]: operations[Op]['responses'][200]['content']['application/json']
}

const JSON_HEADERS = { 'Content-Type': 'application/json' }

/**
 * A cache of read answers, bounded in bytes, checked against the store's versions on each hit.
 *
 * @example
 * ```ts
 * const cache = createReadCache({ changes: store.changes, maxBytes: 16 * 2 ** 20 })
 * ```
 */
export function createReadCache({ changes, maxBytes }: ReadCacheOptions): ReadCache {
  // Insertion order is recency order: a hit moves its entry to the end.
  const kept = new Map<string, Kept>()
  let bytes = 0

  const drop = (id: string, entry: Kept) => {
    kept.delete(id)
    bytes -= entry.json.byteLength
  }
  const keep = (id: string, entry: Kept) => {
    const previous = kept.get(id)
    if (previous) drop(id, previous)
    if (entry.json.byteLength > maxBytes) return
    kept.set(id, entry)
    bytes += entry.json.byteLength
    for (const [oldId, old] of kept) {
      if (bytes <= maxBytes) break
      drop(oldId, old)
    }
  }

  return {
    async answer(c, _operation, owner, key, read) {
      if (!changes) return answerWith(c, await read())
      const id = `${owner}\n${key}`
      const version = changes.of(owner)
      const hit = kept.get(id)
      if (hit?.version === version) {
        kept.delete(id)
        kept.set(id, hit)
        return completeAnswer(c, hit.json, 200, JSON_HEADERS)
      }
      // Taken before reading: a write that lands meanwhile moves it, and what was read is
      // never served for the version after that write.
      const result = await read()
      if (result instanceof Response) return result
      const json = Buffer.from(JSON.stringify(result))
      keep(id, { version, json })
      return completeAnswer(c, json, 200, JSON_HEADERS)
    },
  }
}

function answerWith(c: Context<AppEnv>, result: object | Response): Response {
  return result instanceof Response
    ? result
    : completeAnswer(c, JSON.stringify(result), 200, JSON_HEADERS)
}

import type { SessionFilter } from './session-store.ts'

/**
 * A list's filter from its query's words: `archived` (default false), `pinned` (either, when
 * absent), each `tag`, and each `metadata` pair written `key=value` (split at the first `=`, so
 * a value may hold more). Tags and pairs given twice count once.
 *
 * @example
 * ```ts
 * sessionFilter({ tag: ['a'], metadata: ['project=alpha=2'] })
 * // { archived: false, tags: ['a'], metadata: [['project', 'alpha=2']] }
 * ```
 */
export function sessionFilter(query: {
  archived?: boolean
  pinned?: boolean
  tag?: readonly string[]
  metadata?: readonly string[]
}): SessionFilter {
  const pairs = new Map<string, [string, string]>()
  for (const pair of query.metadata ?? []) {
    const split = pair.indexOf('=')
    const key = split < 0 ? pair : pair.slice(0, split)
    const value = split < 0 ? '' : pair.slice(split + 1)
    pairs.set(`${key}=${value}`, [key, value])
  }
  return {
    archived: query.archived ?? false,
    ...(query.pinned !== undefined && { pinned: query.pinned }),
    tags: [...new Set(query.tag ?? [])],
    metadata: [...pairs.values()],
  }
}

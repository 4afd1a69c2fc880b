/**
 * A chat's branches, for the arrows beside an edited message or a regenerated reply: which
 * siblings each message of the shown branch has, from the session's tree.
 */
import { UxmateApiError, type UxmateClient } from '@uxmate/client'
import { useEffect, useState } from 'react'

/** The ids of a message and its siblings, oldest first. */
export type Siblings = Map<string, string[]>

/** The most messages of a tree read for the arrows (pages of 200). */
const TREE_LIMIT = 2_000

/**
 * The siblings of every message of the session, read again whenever `version` changes (the
 * shown messages, once a turn has ended); not read while `version` is empty.
 *
 * @example
 * ```ts
 * const siblings = useSiblings(client, chatId, messages.map((m) => m.id).join(), onError)
 * siblings.get(message.id) // ['m1', 'm7']: message m7 is the second of two
 * ```
 */
export function useSiblings(
  client: UxmateClient,
  chatId: string,
  version: string,
  onError: (error: unknown) => void,
): Siblings {
  const [siblings, setSiblings] = useState<Siblings>(new Map())
  useEffect(() => {
    if (version === '') return
    let current = true
    const read = async () => {
      const byParent = new Map<string | null, string[]>()
      const parentOf = new Map<string, string | null>()
      let cursor: string | undefined
      let read = 0
      do {
        const page = await client.sessions.getSessionTree(chatId, { limit: 200, cursor })
        for (const message of page.messages) {
          const parent = message.parent_id ?? null
          parentOf.set(message.id, parent)
          byParent.set(parent, [...(byParent.get(parent) ?? []), message.id])
        }
        read += page.messages.length
        cursor = page.next_cursor
      } while (cursor && read < TREE_LIMIT)
      const found: Siblings = new Map()
      for (const [id, parent] of parentOf) found.set(id, byParent.get(parent) ?? [id])
      if (current) setSiblings(found)
    }
    read().catch((error: unknown) => {
      // A chat not stored yet has no tree: the arrows wait for one.
      if (!(error instanceof UxmateApiError && error.status === 404)) onError(error)
    })
    return () => {
      current = false
    }
  }, [client, chatId, version, onError])
  return siblings
}

import type { ChangeVersions } from '../domain/change-versions.ts'
import type { SessionStore } from '../domain/session-store.ts'

/** Versions counted in this process: always at hand. */
export interface CountedVersions extends ChangeVersions {
  of(owner: string): number
}

/**
 * The store, and the versions of its owners' sessions: each write moves its owner's version
 * once it has settled (committed or failed). Writes that only move what no answer shows (event
 * id reservations, run leases) move nothing; writes that do not name an owner (the end of a run
 * started by another store object, the flushes at start and of expired leases) move everyone's.
 *
 * @example
 * ```ts
 * const store = trackChanges(createKyselyStore(db, options))
 * const before = store.changes.of('alice')
 * await store.renameSession('alice', id, 'Trip')
 * store.changes.of('alice') !== before // true
 * ```
 */
export function trackChanges(
  store: SessionStore,
): Omit<SessionStore, 'changes'> & { readonly changes: CountedVersions } {
  let counter = 0
  // Owners written since the last change of everyone's: the others are at `floor`.
  let floor = 0
  const versions = new Map<string, number>()
  // The owner of each run under way, to move the right one when it ends (finishRun names the
  // session only). Entries live as long as the run.
  const ownerOfRun = new Map<string, string>()

  const moveOwner = (owner: string) => {
    versions.set(owner, ++counter)
  }
  const moveEveryone = () => {
    versions.clear()
    floor = ++counter
  }
  const settled = async <T>(write: Promise<T>, move: () => void): Promise<T> => {
    try {
      return await write
    } finally {
      move()
    }
  }
  const remember = <T>(sessionId: string, owner: string, result: T): T => {
    if (typeof result === 'object') ownerOfRun.set(sessionId, owner)
    return result
  }

  return {
    ...store,
    changes: { of: (owner) => versions.get(owner) ?? floor },

    createSession: (input) =>
      settled(
        store.createSession(input).then((session) => remember(input.id, input.owner, session)),
        () => moveOwner(input.owner),
      ),
    // 'busy' and 'not_found' start no run.
    startTurn: (input) =>
      settled(
        store.startTurn(input).then((turn) => remember(input.sessionId, input.owner, turn)),
        () => moveOwner(input.owner),
      ),
    // A regenerate: a run, whose end moves the owner again.
    startRun: (input) =>
      settled(
        store.startRun(input).then((started) => remember(input.sessionId, input.owner, started)),
        () => moveOwner(input.owner),
      ),
    switchBranch: (owner, sessionId, messageId, key) =>
      settled(store.switchBranch(owner, sessionId, messageId, key), () => moveOwner(owner)),
    forkSession: (input) => settled(store.forkSession(input), () => moveOwner(input.owner)),
    finishRun: (outcome) =>
      settled(store.finishRun(outcome), () => {
        const owner = ownerOfRun.get(outcome.sessionId)
        ownerOfRun.delete(outcome.sessionId)
        if (owner === undefined) moveEveryone()
        else moveOwner(owner)
      }),
    // A session shows its queue.
    enqueueTurn: (input) => settled(store.enqueueTurn(input), () => moveOwner(input.owner)),
    cancelQueuedTurn: (owner, sessionId, turnId, key) =>
      settled(store.cancelQueuedTurn(owner, sessionId, turnId, key), () => moveOwner(owner)),
    renameSession: (owner, sessionId, name) =>
      settled(store.renameSession(owner, sessionId, name), () => moveOwner(owner)),
    rateMessage: (input) => settled(store.rateMessage(input), () => moveOwner(input.owner)),
    deleteFeedback: (owner, sessionId, messageId, key) =>
      settled(store.deleteFeedback(owner, sessionId, messageId, key), () => moveOwner(owner)),
    updateSession: (owner, sessionId, patch, key) =>
      settled(store.updateSession(owner, sessionId, patch, key), () => moveOwner(owner)),
    importSession: (owner, session) =>
      settled(store.importSession(owner, session), () => moveOwner(owner)),
    deleteSession: (owner, sessionId, options) =>
      settled(store.deleteSession(owner, sessionId, options), () => moveOwner(owner)),
    flushInterruptedRuns: (now, message) =>
      settled(store.flushInterruptedRuns(now, message), () => {
        ownerOfRun.clear()
        moveEveryone()
      }),
    flushExpiredRuns: (now, message) => settled(store.flushExpiredRuns(now, message), moveEveryone),
  }
}

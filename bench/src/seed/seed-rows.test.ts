import { describe, expect, it } from 'vitest'
import { TEN_MESSAGE_SESSION_ID } from './seed-ids.ts'
import { MESSAGE_COLUMNS, SEED_SPACING_MS, SESSION_COLUMNS, seededSessions } from './seed-rows.ts'

const newest = Date.UTC(2026, 0, 1)

describe('seededSessions', () => {
  it('gives each row exactly the columns the inserts list', () => {
    for (const { session, messages } of seededSessions({
      from: 0,
      to: 2,
      newest,
      withTenMessageSession: true,
    })) {
      expect(Object.keys(session).sort()).toEqual([...SESSION_COLUMNS].sort())
      for (const message of messages) {
        expect(Object.keys(message).sort()).toEqual([...MESSAGE_COLUMNS].sort())
      }
    }
  })

  it('writes the range, older by index, then the ten-message session', () => {
    const seeded = [...seededSessions({ from: 4, to: 6, newest, withTenMessageSession: true })]
    expect(seeded.map(({ session }) => session.updated_at)).toEqual([
      newest - 4 * SEED_SPACING_MS,
      newest - 5 * SEED_SPACING_MS,
      newest - 90 * 86_400_000,
    ])
    expect(seeded.map(({ session }) => session.status)).toEqual(['Ready', 'Flushed', 'Ready'])
    expect(seeded.map(({ messages }) => messages.length)).toEqual([2, 1, 10])
    expect(seeded[2]?.session.id).toBe(TEN_MESSAGE_SESSION_ID)
    for (const { session, messages } of seeded) {
      expect(messages.map((message) => message.position)).toEqual(messages.map((_, i) => i))
      expect(messages.every((message) => message.session_id === session.id)).toBe(true)
    }
  })

  it('makes each session one chain of messages, its newest the active leaf', () => {
    for (const { session, messages } of seededSessions({
      from: 0,
      to: 2,
      newest,
      withTenMessageSession: true,
    })) {
      expect(messages.map((message) => message.parent_id)).toEqual([
        null,
        ...messages.slice(0, -1).map((message) => message.id),
      ])
      expect(session.active_leaf_id).toBe(messages.at(-1)?.id)
    }
  })

  it('leaves the ten-message session out unless asked', () => {
    const seeded = [...seededSessions({ from: 0, to: 3, newest, withTenMessageSession: false })]
    expect(seeded).toHaveLength(3)
  })
})

import { describe, expect, it } from 'vitest'
import type { ConversationTurn, ReplyContext } from '../domain/agent.ts'
import { createEchoAgent, type EchoTimer } from './echo-agent.ts'

/** A clock that moves only when the agent sleeps or the test says so; it records the sleeps. */
function fakeTimer() {
  let now = 0
  const sleeps: number[] = []
  const timer: EchoTimer = {
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms)
      now += ms
    },
  }
  return { timer, sleeps, advance: (ms: number) => (now += ms) }
}

const conversation: ConversationTurn[] = [{ id: 'm1', role: 'user', text: 'a b c d', files: [] }]
const context: ReplyContext = {
  loadFile: async () => new Uint8Array(),
  loadCompaction: async () => undefined,
  saveCompaction: async () => {},
  recordCall: () => {},
}

describe('createEchoAgent', () => {
  it('answers word by word, one word every delayMs', async () => {
    const { timer, sleeps } = fakeTimer()
    const agent = createEchoAgent({ delayMs: 20, timer })
    const words: string[] = []
    for await (const word of agent.reply(conversation, new AbortController().signal, context))
      words.push(word)
    expect(words.join('')).toBe('You said: a b c d')
    expect(words).toHaveLength(6)
    expect(sleeps).toEqual([20, 20, 20, 20, 20, 20])
  })

  it('keeps to its schedule when it is read late: the late words follow at once', async () => {
    const { timer, sleeps, advance } = fakeTimer()
    const agent = createEchoAgent({ delayMs: 20, timer })
    let first = true
    for await (const _ of agent.reply(conversation, new AbortController().signal, context)) {
      // The event loop was busy for 50 ms after the first word (due at 20): the words due at
      // 40 and 60 are late and come without a pause, the one due at 80 waits only what is left.
      if (first) advance(50)
      first = false
    }
    expect(sleeps).toEqual([20, 10, 20, 20])
  })

  it('stops when the signal aborts', async () => {
    const { timer } = fakeTimer()
    const agent = createEchoAgent({ delayMs: 20, timer })
    const controller = new AbortController()
    const words: string[] = []
    await expect(async () => {
      for await (const word of agent.reply(conversation, controller.signal, context)) {
        words.push(word)
        controller.abort(new Error('stop'))
      }
    }).rejects.toThrow('stop')
    expect(words).toEqual(['You '])
  })
})

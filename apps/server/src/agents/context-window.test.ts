import { describe, expect, it } from 'vitest'
import { inputBudget, planInput, summaryBudget, truncatedPlan } from './context-window.ts'

const settings = {
  contextWindow: 8192,
  maxOutputTokens: 1024,
  strategy: 'compact',
  attachmentTurns: 2,
} as const

describe('the input budget', () => {
  it('is the window less the reply and a tenth for other tokenizers; a note takes a quarter of it', () => {
    expect(inputBudget(settings)).toBe(6451)
    expect(summaryBudget(settings)).toBe(1612)
  })
})

describe('planInput', () => {
  const history = [500, 500, 500, 500]

  it('sends the whole history when it fits', () => {
    expect(planInput({ history, fixed: 100, budget: 2100, strategy: 'compact' })).toEqual({
      from: 0,
      note: 'none',
      summarizeFrom: 0,
    })
  })

  it('truncates: the newest messages that fit, the oldest left out', () => {
    expect(planInput({ history, fixed: 100, budget: 1200, strategy: 'truncate' })).toEqual({
      from: 2,
      note: 'none',
      summarizeFrom: 2,
    })
  })

  it('compacts what does not fit into a note, keeping a third of the room as it is', () => {
    expect(planInput({ history, fixed: 100, budget: 1600, strategy: 'compact' })).toEqual({
      from: 3,
      note: 'compact',
      summarizeFrom: 0,
    })
  })

  it('reuses the stored note while it and the messages since fit, then folds them into a new one', () => {
    const note = { through: 1, tokens: 300 }
    expect(planInput({ history, fixed: 100, budget: 1400, strategy: 'compact', note })).toEqual({
      from: 2,
      note: 'reuse',
      summarizeFrom: 2,
    })
    // Neither message since fits a third of the room: both go into the new note.
    expect(planInput({ history, fixed: 100, budget: 1300, strategy: 'compact', note })).toEqual({
      from: 4,
      note: 'compact',
      summarizeFrom: 2,
    })
  })

  it('counts messages it did not count (Infinity) as not fitting', () => {
    const partly = [Number.POSITIVE_INFINITY, 500, 500]
    expect(planInput({ history: partly, fixed: 0, budget: 1000, strategy: 'truncate' }).from).toBe(
      1,
    )
    expect(truncatedPlan(partly, 600)).toEqual({ from: 2, note: 'none', summarizeFrom: 2 })
  })
})

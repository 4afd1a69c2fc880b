import { describe, expect, it } from 'vitest'
import { titleFromModel, titleFromPrompt } from './session-title.ts'

describe('titleFromPrompt', () => {
  it('keeps a short prompt, with white space folded', () => {
    expect(titleFromPrompt('  Plan a\n\tuser   interview ')).toBe('Plan a user interview')
  })

  it('cuts a long prompt at a word boundary, within 60 characters', () => {
    const prompt =
      'Summarise the attached interview notes and list the three biggest onboarding problems'
    const title = titleFromPrompt(prompt)
    expect(title).toBe('Summarise the attached interview notes and list the three…')
    expect(title.length).toBeLessThanOrEqual(60)
  })

  it('cuts a single overlong word where it must', () => {
    expect(titleFromPrompt('x'.repeat(100))).toBe(`${'x'.repeat(59)}…`)
  })

  it('counts characters, not UTF-16 units', () => {
    const title = titleFromPrompt('😀'.repeat(70))
    expect(Array.from(title)).toHaveLength(60)
  })
})

describe('titleFromModel', () => {
  it.each([
    ['Onboarding interview plan', 'Onboarding interview plan'],
    ['"Onboarding interview plan."', 'Onboarding interview plan'],
    ['"Onboarding interview plan".', 'Onboarding interview plan'],
    ['**Title:** Onboarding plan', 'Onboarding plan'],
    ['# Onboarding plan\n\nBecause the user asked…', 'Onboarding plan'],
    ['<think>The user wants a title.</think>\n\nOnboarding plan', 'Onboarding plan'],
    ['\n  “Plan d’entretien”  \n', 'Plan d’entretien'],
  ])('cleans %j to %j', (text, title) => {
    expect(titleFromModel(text)).toBe(title)
  })

  it('cuts a long title like a prompt', () => {
    const title = titleFromModel('A very long title '.repeat(10)) ?? ''
    expect(title.length).toBeLessThanOrEqual(60)
    expect(title.endsWith('…')).toBe(true)
  })

  it.each(['', '   ', '""', '<think>hmm</think>'])('has nothing to offer for %j', (text) => {
    expect(titleFromModel(text)).toBeUndefined()
  })
})

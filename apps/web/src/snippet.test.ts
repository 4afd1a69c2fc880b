import { describe, expect, it } from 'vitest'
import { hasSearchTerm, snippetParts } from './snippet.ts'

describe('snippetParts', () => {
  it('splits a snippet into plain and marked text, its entities decoded', () => {
    expect(snippetParts('…the <mark>user</mark> &amp; <mark>interview</mark> &lt;b&gt;')).toEqual([
      { text: '…the ', marked: false },
      { text: 'user', marked: true },
      { text: ' & ', marked: false },
      { text: 'interview', marked: true },
      { text: ' <b>', marked: false },
    ])
  })

  it('keeps markup the server escaped as text, never as tags', () => {
    const parts = snippetParts('&lt;script&gt;alert(1)&lt;/script&gt; <mark>x</mark>')
    expect(parts[0]).toEqual({ text: '<script>alert(1)</script> ', marked: false })
  })

  it('reads a snippet that starts with a match or has none', () => {
    expect(snippetParts('<mark>Plan</mark> it')).toEqual([
      { text: 'Plan', marked: true },
      { text: ' it', marked: false },
    ])
    expect(snippetParts('no match here')).toEqual([{ text: 'no match here', marked: false }])
  })
})

describe('hasSearchTerm', () => {
  it('needs a word that is not excluded', () => {
    for (const query of ['onbo', '"user interview"', 'café -draft', '-"first draft" plan'])
      expect(hasSearchTerm(query), query).toBe(true)
    for (const query of ['!!', '-draft', '-"first draft"', ' " ', '-a -b'])
      expect(hasSearchTerm(query), query).toBe(false)
  })
})

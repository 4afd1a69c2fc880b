import { describe, expect, it } from 'vitest'
import { parseSearchQuery, type SearchQuery } from './search-query.ts'
import { SNIPPET_LENGTH, searchSnippet } from './search-snippet.ts'

const query = (text: string) => parseSearchQuery(text) as SearchQuery

describe('searchSnippet', () => {
  it('marks each matched word, prefixes and phrases, and escapes the rest', () => {
    expect(searchSnippet('Plan a <b>user</b> Interview & more', query('interv'))).toBe(
      'Plan a &lt;b&gt;user&lt;/b&gt; <mark>Interview</mark> &amp; more',
    )
    expect(searchSnippet('user interview, then the user again', query('"user interview"'))).toBe(
      '<mark>user</mark> <mark>interview</mark>, then the user again',
    )
    // An excluded word is not marked; a word that is only a prefix of the term is not either.
    expect(searchSnippet('notes and drafts', query('notes -drafts'))).toBe(
      '<mark>notes</mark> and drafts',
    )
  })

  it('shows the text around the first match, cut at words, with an ellipsis where cut', () => {
    const before = 'lorem ipsum '.repeat(30)
    const after = ' dolor sit amet'.repeat(30)
    const snippet = searchSnippet(`${before}needle${after}`, query('needle '))
    expect(snippet.startsWith('…')).toBe(true)
    expect(snippet.endsWith('…')).toBe(true)
    expect(snippet).toContain('<mark>needle</mark>')
    const plain = snippet.replaceAll('<mark>', '').replaceAll('</mark>', '').replaceAll('…', '')
    expect(plain.length).toBeLessThanOrEqual(SNIPPET_LENGTH)
    // Whole words at both ends.
    expect(plain).toMatch(/^(lorem|ipsum) /)
    expect(plain).toMatch(/ (dolor|sit|amet)$/)
  })

  it('shows the start of a text whose match it cannot place (a name), whole when short', () => {
    expect(searchSnippet('Short name', query('other'))).toBe('Short name')
    expect(searchSnippet('x'.repeat(500), query('other'))).toBe(`${'x'.repeat(SNIPPET_LENGTH)}…`)
    // Never half of a character of two UTF-16 units.
    const emoji = searchSnippet(`${'a'.repeat(SNIPPET_LENGTH - 1)}😀😀`, query('zz'))
    expect(emoji).toBe(`${'a'.repeat(SNIPPET_LENGTH - 1)}…`)
  })
})

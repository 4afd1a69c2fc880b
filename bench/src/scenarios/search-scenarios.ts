import { SEARCH_TAG } from '../seed/search-seed.ts'
import { VOCABULARY } from '../seed/search-text.ts'

/** What a search row reads: one request, repeated. */
export interface SearchScenario {
  key: string
  label: string
  path: string
  /** Why a body is not what the scenario is meant to read; undefined when it is. */
  check(body: unknown): string | undefined
}

/** A word of the long tail: in ~0.05% of messages (about 500 of a million). */
export const RARE_WORD = VOCABULARY[10_000] as string

const hitsOf = (body: unknown) => (body as { hits?: unknown }).hits

/** The body is a page of hits (none is fine: a small owner may have no match). */
const isPage = (body: unknown) =>
  Array.isArray(hitsOf(body)) ? undefined : `expected a page of hits, got ${JSON.stringify(body)}`

const search = (key: string, label: string, q: string, extra = ''): SearchScenario => ({
  key,
  label,
  path: `/sessions/search?q=${encodeURIComponent(q)}${extra}`,
  check: isPage,
})

/**
 * The searches, from what most texts contain to what few do, as a user types them: a trailing
 * space ends a word (otherwise the last word is a prefix), quotes make a phrase.
 */
export const searchScenarios: SearchScenario[] = [
  search('common', 'search: a common word (onboarding, ~17% of messages)', 'onboarding '),
  search('two-common', 'search: two common words (design review)', 'design review '),
  search('stop-word', 'search: the commonest word (the, ~90%)', 'the '),
  search('rare', `search: a rare word (${RARE_WORD}, ~0.05%)`, `${RARE_WORD} `),
  search('prefix', 'search: as typed, a prefix (onbo)', 'onbo'),
  search(
    'phrase',
    'search: a phrase, an exclusion ("user interview" -draft)',
    '"user interview" -draft ',
  ),
  search(
    'filtered',
    `search: a common word, tag ${SEARCH_TAG}`,
    'onboarding ',
    `&tag=${SEARCH_TAG}`,
  ),
  {
    key: 'grouped-filtered',
    label: `grouped page, tag ${SEARCH_TAG}, pinned first (limit 100)`,
    path: `/sessions/grouped?limit=100&pinned_group=true&tag=${SEARCH_TAG}`,
    check: (body) =>
      typeof (body as { time_to_sessions?: unknown }).time_to_sessions === 'object'
        ? undefined
        : `expected a grouped page, got ${JSON.stringify(body).slice(0, 200)}`,
  },
]

/** How many hits (or sessions, for the grouped page) a body holds, for the table. */
export function resultCount(body: unknown): number {
  const hits = hitsOf(body)
  if (Array.isArray(hits)) return hits.length
  const grouped = body as { pinned?: unknown[]; time_to_sessions?: Record<string, unknown[]> }
  return (
    (grouped.pinned?.length ?? 0) +
    Object.values(grouped.time_to_sessions ?? {}).reduce((sum, list) => sum + list.length, 0)
  )
}

/**
 * Message texts for the search part: words drawn from a Zipf distribution over a vocabulary of
 * 30,000 (English function words, then a product team's words, then a long tail of made-up
 * but pronounceable words), with common two-word phrases mixed in, so that a word's document
 * frequency falls off as it does in real chats: a few words in most messages, a few hundred in
 * one message in ten to a hundred, most in almost none. Deterministic: the same index always
 * gives the same text, on every store.
 */

import { random } from './random.ts'

/** The most frequent words of English chat text, most frequent first. */
const FUNCTION_WORDS = (
  'the to and of a i you is that it in for we this be on with can what have are do how not ' +
  'as so but if at or they from my your will about would there an all one just like ' +
  'our should was me some more when which them then also get could need want think out up ' +
  'make by any here no know see now use much us their other only way these into why than ' +
  'first over new well very where most after before two both each many same those while ' +
  'again through because does did had has been were being few own such here again once'
)
  .split(' ')
  .filter((word, index, all) => all.indexOf(word) === index)

/** A product team's words, the content words that searches look for. */
export const TOPIC_WORDS = (
  'onboarding user interview design review research flow session feedback release mobile ' +
  'app pricing page customer question plan test prototype team screen sign signup email ' +
  'notes draft survey persona journey metric retention churn dashboard report sprint ' +
  'roadmap feature bug issue error message button form checkout payment account settings ' +
  'profile search filter list sidebar navigation menu tooltip modal copy tone brand color ' +
  'layout grid typography icon image video upload download export import share link ' +
  'notification reminder calendar schedule meeting agenda summary insight finding theme ' +
  'quote participant recruit incentive consent script moderator observer recording ' +
  'transcript tag cluster affinity map story task scenario goal pain point need habit ' +
  'context device browser desktop tablet android ios accessibility contrast keyboard ' +
  'reader label placeholder validation empty state loading latency performance ' +
  'experiment variant control conversion funnel step drop trial subscription invoice ' +
  'refund support ticket chat agent bot reply answer prompt model token cost budget ' +
  'quarter week month deadline launch beta pilot rollout migration backend frontend api ' +
  'database cache server client release version changelog stakeholder manager engineer ' +
  'designer researcher writer marketing sales legal privacy security compliance audit'
)
  .split(' ')
  .filter((word, index, all) => all.indexOf(word) === index)

/** Phrases people write (and search for) as such. */
export const PHRASES = [
  'user interview',
  'onboarding flow',
  'first session',
  'design review',
  'release notes',
  'pricing page',
  'error message',
  'mobile app',
  'customer feedback',
  'sign up',
  'empty state',
  'pain point',
  'usability test',
  'next steps',
  'follow up',
  'action items',
]

const VOCABULARY_SIZE = 30_000
const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'st']
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou']
const CODAS = ['', '', 'n', 'r', 's', 'l', 'x', 'nt']

/** The long tail: made-up words of 2-4 syllables, the nth always the same. */
function madeUpWord(n: number): string {
  let value = n
  const syllables = 2 + (n % 3)
  let word = ''
  for (let i = 0; i < syllables; i++) {
    word += ONSETS[value % ONSETS.length] + (VOWELS[(value >> 4) % VOWELS.length] as string)
    value = Math.floor(value / 7) + 31 * (i + 1)
  }
  return word + CODAS[n % CODAS.length]
}

/**
 * The vocabulary by rank: 20 function words first, then topic and function words in turn (so
 * the topic words sit at ranks 21-~400, the common content words of a team's chats), then
 * made-up words.
 */
function buildVocabulary(): string[] {
  const ranked: string[] = []
  const seen = new Set<string>()
  const add = (word: string | undefined) => {
    if (word === undefined || seen.has(word)) return
    seen.add(word)
    ranked.push(word)
  }
  for (const word of FUNCTION_WORDS.slice(0, 20)) add(word)
  const topics = [...TOPIC_WORDS]
  const functions = FUNCTION_WORDS.slice(20)
  while (topics.length > 0 || functions.length > 0) {
    add(topics.shift())
    add(functions.shift())
  }
  for (let n = 0; ranked.length < VOCABULARY_SIZE; n++) add(madeUpWord(n))
  return ranked
}

export const VOCABULARY = buildVocabulary()

/** Cumulative Zipf weights (s = 1) over the vocabulary's ranks, for a binary search. */
const CUMULATIVE = (() => {
  const sums = new Float64Array(VOCABULARY.length)
  let total = 0
  for (let rank = 0; rank < VOCABULARY.length; rank++) {
    total += 1 / (rank + 1)
    sums[rank] = total
  }
  for (let rank = 0; rank < sums.length; rank++) sums[rank] = (sums[rank] as number) / total
  return sums
})()

function zipfWord(next: () => number): string {
  const target = next()
  let low = 0
  let high = CUMULATIVE.length - 1
  while (low < high) {
    const middle = (low + high) >> 1
    if ((CUMULATIVE[middle] as number) < target) low = middle + 1
    else high = middle
  }
  return VOCABULARY[low] as string
}

/** One phrase in this many words; phrases too are Zipf-distributed (the first is the commonest). */
const PHRASE_EVERY = 120

/**
 * The text of message `key` (any integer, e.g. a message's global index): sentences of 6-18
 * words, `words` of them in all, give or take a sentence's end.
 *
 * @example
 * ```ts
 * searchText(42, 30) // 'The onboarding to and user of interview, …'
 * ```
 */
export function searchText(key: number, words: number): string {
  const next = random(key * 2_654_435_761 + 1)
  const sentences: string[] = []
  let written = 0
  while (written < words) {
    const length = 6 + Math.floor(next() * 13)
    const sentence: string[] = []
    while (sentence.length < length) {
      if (next() * PHRASE_EVERY < 1) {
        const phrase = PHRASES[Math.floor(PHRASES.length * next() ** 2)] as string
        sentence.push(...phrase.split(' '))
      } else {
        sentence.push(zipfWord(next))
      }
    }
    if (sentence.length > 8 && next() < 0.4) sentence[4] = `${sentence[4]},`
    const first = sentence[0] as string
    sentence[0] = first.charAt(0).toUpperCase() + first.slice(1)
    sentences.push(`${sentence.join(' ')}${next() < 0.15 ? '?' : '.'}`)
    written += sentence.length
  }
  return sentences.join(' ')
}

/**
 * How many words message `position` of a conversation has: a user's prompt 5-30, a reply
 * 15-80, varied by `key`.
 */
export function searchTextLength(key: number, position: number): number {
  const spread = (key * 7_919 + position * 104_729) % 1_000
  return position % 2 === 0 ? 5 + Math.floor(spread / 40) : 15 + Math.floor((spread * 65) / 1_000)
}

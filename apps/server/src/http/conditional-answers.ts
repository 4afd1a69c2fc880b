/**
 * Conditional reads (RFC 9110, section 13): a read's answer carries a strong `ETag`, and a
 * caller that sends it back as `If-None-Match` gets `304 Not Modified` without a body while the
 * answer is unchanged, so a sidebar that polls costs a header and no JSON. A kept answer keeps
 * its tag (see `read-cache.ts`): a kept `304` hashes nothing.
 */
import xxhash from 'xxhash-wasm'
import {
  type AnswerContext,
  type AnswerHead,
  answerHead,
  completeAnswer,
} from './answer-headers.ts'

/** Browsers may keep an answer but ask again each time; shared caches keep none of it. */
export const CACHE_CONTROL = 'private, no-cache'

// One entity tag (`W/` allowed) of a list, where commas and white space may come in any number
// between tags (RFC 9110, section 5.6.1: recipients accept empty list elements).
const TAG = String.raw`(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"`
const TAG_LIST = new RegExp(String.raw`^[\t ,]*${TAG}(?:[\t ]*,[\t ,]*${TAG})*[\t ,]*$`)
const OPAQUE_TAG = /"[^"]*"/g

// Measured (issue 21): a SHA-1 of an answer not kept (the read cache off, a shared store) was
// 20-130 µs on the request path; XXH64 of the same 34 KB is ~4 µs against ~22 µs (CPU, this
// machine). A tag need not resist forgery, only change with the bytes: 64 bits of a hash made
// for that. Instantiated once, when the module loads.
const { h64Raw } = await xxhash()

/**
 * The strong entity tag of an answer's bytes: their XXH64 in 16 hex digits, quoted.
 *
 * @example
 * ```ts
 * entityTagOf(Buffer.from('{}')) // '"2e1472b57af294d1"'
 * ```
 */
export function entityTagOf(bytes: Uint8Array): string {
  return `"${h64Raw(bytes).toString(16).padStart(16, '0')}"`
}

/**
 * Whether `If-None-Match` (as sent) matches the answer tagged `etag`, by the weak comparison
 * If-None-Match calls for: `*`, or any tag of the list equal to it once `W/` is set aside. A
 * value that is not a valid list matches nothing: the full answer is sent, never an error.
 *
 * @example
 * ```ts
 * noneMatchHolds('W/"a", "b"', '"b"') // true
 * noneMatchHolds('"a', '"a"') // false: not a list of tags
 * ```
 */
export function noneMatchHolds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  // What a client that kept one answer sends back: no parsing needed.
  if (ifNoneMatch === etag) return true
  const value = ifNoneMatch.trim()
  if (value === '*') return true
  if (!TAG_LIST.test(value)) return false
  for (const [tag] of value.matchAll(OPAQUE_TAG)) if (tag === etag) return true
  return false
}

/** The heads of an answer that may be answered `304`: the full one, the `304`'s, and its tag. */
export interface ConditionalHeads {
  etag: string
  ok: AnswerHead
  notModified: AnswerHead
}

/**
 * The heads {@link conditionalAnswer} answers with, for the answer to a request for `path`
 * with its own `headers`: a `304` carries its `ETag` and `Cache-Control` alone.
 *
 * @example
 * ```ts
 * const heads = conditionalHeads(c.req.path, { 'Content-Type': 'application/json', ETag: entityTagOf(json), 'Cache-Control': CACHE_CONTROL })
 * ```
 */
export function conditionalHeads(
  path: string,
  headers: Record<string, string> & { ETag: string },
): ConditionalHeads {
  return {
    etag: headers.ETag,
    ok: answerHead(path, headers),
    notModified: answerHead(path, { ETag: headers.ETag, 'Cache-Control': CACHE_CONTROL }),
  }
}

/**
 * The `200` answer of `body` with `heads.ok`, or a `304` with `heads.notModified` and no body
 * when the request's `If-None-Match` matches `heads.etag`; either with every header an answer
 * carries (request id, RateLimit headers).
 *
 * @example
 * ```ts
 * const headers = { 'Content-Type': 'application/json', ETag: entityTagOf(json), 'Cache-Control': CACHE_CONTROL }
 * return conditionalAnswer(c, json, conditionalHeads(c.req.path, headers))
 * ```
 */
export function conditionalAnswer(
  c: AnswerContext,
  body: Uint8Array<ArrayBuffer>,
  heads: ConditionalHeads,
): Response {
  if (noneMatchHolds(c.req.header('If-None-Match'), heads.etag))
    return completeAnswer(c, null, 304, heads.notModified)
  return completeAnswer(c, body, 200, heads.ok)
}

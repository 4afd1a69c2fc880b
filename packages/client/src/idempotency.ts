/**
 * Idempotency keys for the requests that start an agent's run (`POST /sessions/text`,
 * `PUT /sessions/{id}`). One key is minted per call and sent on every retry of that call, so a
 * server that honours `Idempotency-Key` runs the agent once even when an answer was lost.
 */

/**
 * A random UUID v4.
 *
 * `crypto.randomUUID` exists in Node 20 and browsers, but browsers only expose it in secure
 * contexts (HTTPS, localhost); a page on plain HTTP gets the same from `getRandomValues`.
 */
export function mintIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10 in the top bits of byte 8.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

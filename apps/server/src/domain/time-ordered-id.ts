import { randomFillSync } from 'node:crypto'

/** Random bytes drawn at a time: one `randomFillSync` per this many ids. */
const IDS_PER_DRAW = 256
const random = Buffer.alloc(16 * IDS_PER_DRAW)
let drawn = IDS_PER_DRAW
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/**
 * A UUID version 7 (RFC 9562): the time in milliseconds, then 74 random bits. Used for the ids
 * the store indexes (sessions, messages, files): ids made at about the same time sort together,
 * so the rows of a batch of writes land in a few index pages at the end instead of one random
 * page each, which keeps the bytes written and synced per commit small. The time in an id is
 * no secret: the resource shows when it was created.
 *
 * @example
 * ```ts
 * timeOrderedId(Date.parse('2031-05-01T10:00:00Z')) // '01f8a9c6-0e80-7…'
 * ```
 */
export function timeOrderedId(now: number = Date.now()): string {
  if (drawn === IDS_PER_DRAW) {
    randomFillSync(random)
    drawn = 0
  }
  const start = 16 * drawn++
  const bytes = random.subarray(start, start + 16)
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  let id = ''
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) id += '-'
    id += HEX[bytes[index] as number]
  }
  return id
}

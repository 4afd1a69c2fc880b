/**
 * A corpus of hostile requests against the server as its own process, over raw sockets where
 * `fetch` cannot express the attack. Each gets a 4xx or a closed connection (never a 5xx, never
 * a hang); the server keeps answering everyone else (a /health probe after each); its memory
 * stays bounded through a burst of them.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from '@uxmate/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildServer, startChildServer } from './child-server.ts'
import { exchange, head, type RawOutcome, sleep, writeAll } from './raw-http.ts'

const MiB = 1024 * 1024
const BOUNDARY = 'hostile-boundary'
const FORM = `multipart/form-data; boundary=${BOUNDARY}`

let server: ChildServer
let dataDir: string
let sessionId: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-hostile-'))
  server = await startChildServer({
    env: {
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_SECOND: '0',
      // Small, so that slow clients are cut off within seconds.
      HEADERS_TIMEOUT_MS: '1000',
      REQUEST_TIMEOUT_MS: '2000',
      MAX_HEADER_BYTES: '16384',
      LOG_LEVEL: 'info',
    },
  })
  const form = new FormData()
  form.append('agent_id', 'echo')
  form.append('text_prompt', 'A session to aim at')
  const created = await fetch(`${server.baseUrl}/sessions/text`, { method: 'POST', body: form })
  sessionId = ((await created.json()) as Session).id
})

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0)
  await rm(dataDir, { recursive: true, force: true })
})

/** The server still answers: the probe every case ends with. */
async function expectHealthy() {
  const response = await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(10_000) })
  expect(response.status).toBe(200)
}

/** A 4xx, or the connection closed without an answer; never a 5xx, never left hanging. */
function expectRefused(outcome: RawOutcome, what: string) {
  expect(outcome.closedByServer, `${what}: the server closes the connection`).toBe(true)
  if (outcome.status !== undefined) {
    expect(outcome.status, `${what}: ${outcome.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400)
    expect(outcome.status, `${what}: ${outcome.text.slice(0, 300)}`).toBeLessThan(500)
  }
  // Whatever it says, it says nothing of the code or the files.
  expect(outcome.text, what).not.toMatch(/\n\s+at \S|node_modules|\/src\/|\.ts:\d/)
}

/** Sends one whole request (head and body) and waits for the answer. */
const send = (requestHead: string, body: Uint8Array | string = '') =>
  exchange(server.port, async (socket) => {
    socket.write(requestHead)
    await writeAll(socket, typeof body === 'string' ? Buffer.from(body, 'latin1') : body)
  })

const post = (path: string, type: string, body: Uint8Array | string, extra = {}) => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body
  return send(
    head(`POST ${path} HTTP/1.1`, {
      'Content-Type': type,
      'Content-Length': String(bytes.byteLength),
      ...extra,
    }),
    bytes,
  )
}

const put = (body: Uint8Array | string, extra = {}) => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body
  return send(
    head(`PUT /sessions/${sessionId} HTTP/1.1`, {
      'Content-Type': 'application/json',
      'Content-Length': String(bytes.byteLength),
      ...extra,
    }),
    bytes,
  )
}

const part = (name: string, value: string, extra = '') =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`

/** The quick cases, by name: each answers at once. Reused by the memory burst. */
const quickCases: Record<string, () => Promise<RawOutcome>> = {
  'multipart with a boundary that never comes': () =>
    post('/sessions/text', FORM, 'garbage\r\n--not-the-boundary\r\n\r\n'),
  'multipart without a boundary': () =>
    post('/sessions/text', 'multipart/form-data', part('agent_id', 'echo')),
  'multipart cut off in a part': () =>
    post('/sessions/text', FORM, `${part('agent_id', 'echo')}--${BOUNDARY}\r\nContent-Disp`),
  'multipart with a text field that is not UTF-8': () =>
    post(
      '/sessions/text',
      FORM,
      `${part('agent_id', 'echo')}${part('text_prompt', 'caf\xe9 \xff\xfe')}--${BOUNDARY}--\r\n`,
    ),
  'multipart with a 100 kB part header': () =>
    post(
      '/sessions/text',
      FORM,
      `${part('agent_id', 'echo', `; x="${'a'.repeat(100_000)}"`)}--${BOUNDARY}--\r\n`,
    ),
  'a 10 MB JSON body, declared': () =>
    put(Buffer.from(`{"text_prompt":"${'x'.repeat(10 * MiB)}"}`)),
  'a 10 MB JSON body, chunked without a length': () =>
    exchange(server.port, async (socket) => {
      socket.write(
        head(`PUT /sessions/${sessionId} HTTP/1.1`, {
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
        }),
      )
      const chunk = Buffer.from('x'.repeat(MiB))
      for (let i = 0; i < 10 && !socket.destroyed; i++) {
        if (!socket.write(`${chunk.byteLength.toString(16)}\r\n`)) break
        await writeAll(socket, chunk)
        socket.write('\r\n')
      }
      socket.write('0\r\n\r\n')
    }),
  'JSON nested a hundred thousand deep': () => put(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  'JSON that is not UTF-8': () => put('{"text_prompt":"caf\xe9"}'),
  'JSON with a raw NUL in a string': () => put('{"text_prompt":"a\x00b"}'),
  'a NUL byte in a header': () => send(head('GET /health HTTP/1.1', { 'X-Evil': 'a\x00b' })),
  'a NUL byte in the path': () => send(head('GET /sessions/\x00 HTTP/1.1')),
  'path traversal in the path': () =>
    send(head('GET /sessions/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1')),
  'path traversal to the docs assets': () =>
    send(head('GET /docs/assets/..%2f..%2fpackage.json HTTP/1.1')),
  'a 20 kB URL': () => send(head(`GET /sessions?agent_id=${'a'.repeat(20_000)} HTTP/1.1`)),
  'one 20 kB header': () => send(head('GET /health HTTP/1.1', { 'X-Big': 'b'.repeat(20_000) })),
  'three thousand headers': () =>
    send(
      head(
        'GET /health HTTP/1.1',
        Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'v'])),
      ),
    ),
  'not HTTP at all': () => send('HELLO THERE\r\n\r\n'),
  'a Content-Length that lies': () =>
    send(
      `${head(`PUT /sessions/${sessionId} HTTP/1.1`, { 'Content-Type': 'application/json' }).slice(0, -2)}Content-Length: 5\r\nContent-Length: 9\r\n\r\n{"a":1}`,
    ),
}

describe('hostile input, against the server process', () => {
  it.each(Object.keys(quickCases))('%s: a 4xx or a closed connection', async (name) => {
    const outcome = await quickCases[name]?.()
    expectRefused(outcome as RawOutcome, name)
    await expectHealthy()
  })

  it('keeps hostile file names out of paths and headers, cut to 255 bytes', async () => {
    const names = ['../../etc/passwd', '..\\..\\windows\\win.ini', `${'n'.repeat(10_000)}.txt`]
    const body = `${part('agent_id', 'echo')}${part('text_prompt', 'Files')}${names
      .map((name) => part('files', 'content', `; filename="${name}"`))
      .join('')}--${BOUNDARY}--\r\n`
    const outcome = await post('/sessions/text', FORM, body)
    expect(outcome.status).toBe(200)
    const session = JSON.parse(outcome.text.slice(outcome.text.indexOf('\r\n\r\n') + 4)) as Session
    const stored = session.messages[0]?.files ?? []
    expect(stored.map((f) => f.name.slice(0, 12))).toEqual(['passwd', 'win.ini', 'nnnnnnnnnnnn'])
    for (const file of stored) {
      expect(file.name).not.toMatch(/[/\\]/)
      expect(Buffer.byteLength(file.name)).toBeLessThanOrEqual(255)
      const download = await fetch(`${server.baseUrl}${file.url}`)
      expect(download.headers.get('Content-Disposition')).toMatch(
        /^attachment; filename="[^"/\\]+"/,
      )
    }
    await expectHealthy()
  })

  it('cuts off a client that sends its headers a line at a time (slowloris)', async () => {
    const probes: number[] = []
    const outcome = await exchange(server.port, async (socket, closed) => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      // Far longer than HEADERS_TIMEOUT_MS, unless the server hangs up first.
      for (let i = 0; i < 60 && !closed(); i++) {
        await sleep(200)
        socket.write(`X-Slow-${i}: still coming\r\n`)
        if (i % 5 === 0) probes.push((await fetch(`${server.baseUrl}/health`)).status)
      }
    })
    expectRefused(outcome, 'slowloris')
    // Others were served meanwhile.
    expect(probes.length).toBeGreaterThan(0)
    expect(probes.every((status) => status === 200)).toBe(true)
    await expectHealthy()
  })

  it('cuts off a client that trickles its body', async () => {
    const outcome = await exchange(server.port, async (socket, closed) => {
      socket.write(
        head(`PUT /sessions/${sessionId} HTTP/1.1`, {
          'Content-Type': 'application/json',
          'Content-Length': '100000',
        }),
      )
      socket.write('{"text_prompt":"')
      for (let i = 0; i < 60 && !closed(); i++) {
        await sleep(200)
        socket.write('x')
      }
    })
    expectRefused(outcome, 'slow body')
    await expectHealthy()
  })

  it('closes connections that never send a byte', async () => {
    const idle = await Promise.all(
      Array.from({ length: 50 }, () => exchange(server.port, () => undefined)),
    )
    for (const outcome of idle) expectRefused(outcome, 'an idle connection')
    await expectHealthy()
  })

  it('keeps its memory bounded through a burst of hostile requests', async () => {
    await expectHealthy()
    const before = await server.rssBytes()
    for (let round = 0; round < 5; round++) {
      await Promise.all(Object.values(quickCases).map((attack) => attack()))
    }
    await expectHealthy()
    const after = await server.rssBytes()
    // Generous: the garbage collector runs when it likes. Bodies are never buffered past their
    // limits, so a burst of 10 MB bodies must not grow the process by anything like their sum.
    expect(after - before, `RSS ${before} -> ${after}`).toBeLessThan(200 * MiB)
  })
})

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  BOUNDARY,
  chunked,
  createTestApp,
  multipartBody,
  type Part,
  postForm,
  streamRequest,
  testLimits,
} from '../../../../test/support/validation-app.ts'

const app = createTestApp()
const FORM_TYPE = `multipart/form-data; boundary=${BOUNDARY}`
const prompt: Part[] = [
  { name: 'agent_id', value: 'echo' },
  { name: 'text_prompt', value: 'Summarise the attached notes.' },
]

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A valid form whose one file part has the given Content-Disposition parameters. */
function rawForm(fileDisposition: string): Uint8Array {
  return new TextEncoder().encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="agent_id"\r\n\r\necho\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="text_prompt"\r\n\r\nhi\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; ${fileDisposition}\r\n\r\nz\r\n` +
      `--${BOUNDARY}--\r\n`,
  )
}

async function answer(response: Response | Promise<Response>) {
  const r = await response
  return { status: r.status, body: await r.json() }
}

function sendStream(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return app.request(
    streamRequest('/sessions/text', 'POST', body, { 'Content-Type': FORM_TYPE, ...headers }),
  )
}

describe('multipart form fields', () => {
  it('reports a missing text_prompt exactly as FastAPI does', async () => {
    const response = await postForm(app, [{ name: 'agent_id', value: 'echo' }])
    expect(response.status).toBe(422)
    expect(await response.text()).toBe(
      '{"detail":[{"type":"missing","loc":["body","text_prompt"],"msg":"Field required","input":null}]}',
    )
  })

  it('reports every missing field, in declaration order', async () => {
    expect((await answer(postForm(app, []))).body.detail).toEqual([
      { type: 'missing', loc: ['body', 'agent_id'], msg: 'Field required', input: null },
      { type: 'missing', loc: ['body', 'text_prompt'], msg: 'Field required', input: null },
    ])
  })

  it('reads an empty body as an empty form', async () => {
    const response = await app.request('/sessions/text', {
      method: 'POST',
      headers: { 'Content-Type': FORM_TYPE },
    })
    expect((await answer(response)).body.detail).toHaveLength(2)
  })

  it('treats an empty value as missing, as FastAPI does for form fields', async () => {
    const { body } = await answer(postForm(app, [...prompt.slice(0, 1), { name: 'text_prompt' }]))
    expect(body.detail).toEqual([
      { type: 'missing', loc: ['body', 'text_prompt'], msg: 'Field required', input: null },
    ])
  })

  it('reports a blank prompt against the \\S pattern', async () => {
    const { status, body } = await answer(
      postForm(app, [prompt[0] as Part, { name: 'text_prompt', value: '   ' }]),
    )
    expect(status).toBe(422)
    expect(body.detail).toEqual([
      {
        type: 'string_pattern_mismatch',
        loc: ['body', 'text_prompt'],
        msg: "String should match pattern '\\S'",
        input: '   ',
        ctx: { pattern: '\\S' },
      },
    ])
  })

  it('takes the last of a repeated text field, as FastAPI does, and ignores unknown fields', async () => {
    const { status, body } = await answer(
      postForm(app, [
        ...prompt,
        { name: 'agent_id', value: 'second' },
        { name: 'unknown', value: 'x' },
        { name: 'unknown', filename: 'x.txt', value: 'ignored' },
      ]),
    )
    expect(status).toBe(200)
    expect(body.form).toEqual({
      agent_id: 'second',
      text_prompt: 'Summarise the attached notes.',
      files: [],
    })
  })

  it('decodes UTF-8 text fields', async () => {
    const { body } = await answer(
      postForm(app, [prompt[0] as Part, { name: 'text_prompt', value: 'Résumé ✓' }]),
    )
    expect(body.form.text_prompt).toBe('Résumé ✓')
  })

  it('keeps a leading byte order mark as part of a text field', async () => {
    const { status, body } = await answer(
      postForm(app, [
        { name: 'agent_id', value: '\uFEFF' },
        { name: 'text_prompt', value: '\uFEFFHello' },
      ]),
    )
    expect(status).toBe(200)
    expect(body.form).toMatchObject({ agent_id: '\uFEFF', text_prompt: '\uFEFFHello' })
  })

  it('refuses a text field whose bytes are not UTF-8 (422 string_unicode), not storing U+FFFD', async () => {
    const invalid = new Uint8Array([0x48, 0x69, 0xff, 0xfe, 0x21]) // "Hi", two bad bytes, "!"
    const { status, body } = await answer(
      postForm(app, [prompt[0] as Part, { name: 'text_prompt', value: invalid }]),
    )
    expect(status).toBe(422)
    expect(body).toEqual({
      detail: [
        {
          type: 'string_unicode',
          loc: ['body', 'text_prompt'],
          msg: 'Input should be a valid string, unable to parse raw data as a unicode string',
          input: null,
        },
      ],
    })
  })

  it('decodes a text field in the charset its part declares', async () => {
    const latin1 = new Uint8Array([0x52, 0xe9, 0x73, 0x75, 0x6d, 0xe9]) // "Résumé" in ISO-8859-1
    const { status, body } = await answer(
      postForm(app, [
        // An unknown field first, undeclared and not UTF-8: ignored, and it must not shift
        // which declared charset goes with which part.
        { name: 'junk', value: new Uint8Array([0xff]) },
        { name: 'text_prompt', value: latin1, contentType: 'text/plain; charset=ISO-8859-1' },
        { name: 'agent_id', value: 'echo', contentType: 'text/plain; charset=utf-8' },
      ]),
    )
    expect(status).toBe(200)
    expect(body.form).toMatchObject({ agent_id: 'echo', text_prompt: 'Résumé' })
    const utf8 = await answer(
      postForm(app, [
        prompt[0] as Part,
        { name: 'text_prompt', value: 'Résumé ✓', contentType: 'text/plain; charset="UTF-8"' },
      ]),
    )
    expect(utf8.body.form.text_prompt).toBe('Résumé ✓')
  })

  it('validates headers along with the form', async () => {
    const { body } = await answer(postForm(app, prompt, { Prefer: 'respond-async' }))
    expect(body.header).toEqual({ Prefer: 'respond-async' })
  })

  it('reports a text part sent as files, and a file sent as text_prompt', async () => {
    const { body } = await answer(
      postForm(app, [
        prompt[0] as Part,
        { name: 'text_prompt', filename: 'p.txt', value: 'hi' },
        { name: 'files', value: 'not a file' },
      ]),
    )
    expect(body.detail).toEqual([
      {
        type: 'string_type',
        loc: ['body', 'text_prompt'],
        msg: 'Input should be a valid string',
        input: 'p.txt',
      },
      {
        type: 'value_error',
        loc: ['body', 'files', 0],
        msg: "Value error, Expected UploadFile, received: <class 'str'>",
        input: 'not a file',
        ctx: { error: "Expected UploadFile, received: <class 'str'>" },
      },
    ])
  })
})

describe('multipart files', () => {
  it('accepts zero files', async () => {
    const { status, body } = await answer(postForm(app, prompt))
    expect(status).toBe(200)
    expect(body.form.files).toEqual([])
  })

  it('reads one file with its name, type, size and sha256', async () => {
    const { status, body } = await answer(
      postForm(app, [
        ...prompt,
        { name: 'files', filename: 'notes.txt', contentType: 'text/plain', value: 'Meeting notes' },
      ]),
    )
    expect(status).toBe(200)
    expect(body.form.files).toEqual([
      {
        name: 'notes.txt',
        contentType: 'text/plain',
        size: 13,
        sha256: sha256('Meeting notes'),
        text: 'Meeting notes',
        isUint8Array: true,
      },
    ])
  })

  it('reads three files in order, whatever the chunking', async () => {
    const parts: Part[] = [
      {
        name: 'files',
        filename: 'a.txt',
        contentType: 'Text/Plain; Charset=UTF-8',
        value: 'alpha',
      },
      ...prompt,
      { name: 'files', filename: 'b.bin', value: '' },
      { name: 'files', filename: 'c.json', contentType: 'application/json', value: '{"c":3}' },
    ]
    const expected = [
      { name: 'a.txt', contentType: 'text/plain; charset=utf-8', size: 5, text: 'alpha' },
      { name: 'b.bin', contentType: 'application/octet-stream', size: 0, text: '' },
      { name: 'c.json', contentType: 'application/json', size: 7, text: '{"c":3}' },
    ].map((f) => ({ ...f, sha256: sha256(f.text), isUint8Array: true }))
    for (const size of [1, 7, 64, 100_000]) {
      const { status, body } = await answer(sendStream(chunked(multipartBody(parts), size)))
      expect(status).toBe(200)
      expect(body.form.files).toEqual(expected)
    }
  })

  it('keeps binary bytes intact', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i)
    const response = await postForm(app, [
      ...prompt,
      {
        name: 'files',
        filename: 'bytes.bin',
        contentType: 'application/octet-stream',
        value: bytes,
      },
    ])
    const { body } = await answer(response)
    expect(body.form.files[0]).toMatchObject({
      size: 256,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    })
  })

  it('drops the empty, nameless part a browser sends for an empty file input', async () => {
    for (const part of [
      { name: 'files', filename: '', contentType: 'application/octet-stream' },
      { name: 'files', filename: '' },
    ]) {
      const { status, body } = await answer(postForm(app, [...prompt, part]))
      expect(status).toBe(200)
      expect(body.form.files).toEqual([])
    }
  })

  it('sanitises hostile file names', async () => {
    const hostile = [
      '../../etc/passwd',
      'C:\\x\\y.txt',
      '..',
      ` ${'n'.repeat(10_000)}.pdf `,
      'evil\u202Etxt.exe',
      'tab\there.txt',
    ]
    const parts = hostile.map((filename) => ({ name: 'files', filename, value: 'x' }))
    const limits = { ...testLimits, maxFiles: 10, maxRequestBytes: 100_000 }
    const { status, body } = await answer(postForm(createTestApp(limits), [...prompt, ...parts]))
    expect(status).toBe(200)
    const names: string[] = body.form.files.map((f: { name: string }) => f.name)
    expect(names).toEqual([
      'passwd',
      'y.txt',
      'file',
      `${'n'.repeat(251)}.pdf`,
      'eviltxt.exe',
      'tabhere.txt',
    ])
    expect(new TextEncoder().encode(names[3]).byteLength).toBe(255)
  })

  it('strips NUL bytes from names; refuses them raw in a part header', async () => {
    const encoded = rawForm(`name="files"; filename*=UTF-8''a%00b%0A.txt`)
    const { body } = await answer(sendStream(chunked(encoded, 5)))
    expect(body.form.files[0]).toMatchObject({ name: 'ab.txt', size: 1 })
    const raw = rawForm('name="files"; filename="a\u0000b.txt"')
    expect((await answer(sendStream(chunked(raw, 5)))).status).toBe(422)
  })

  it('reads UTF-8 file names and RFC 5987 filename*', async () => {
    const { body } = await answer(
      postForm(app, [...prompt, { name: 'files', filename: 'café.txt', value: 'x' }]),
    )
    expect(body.form.files.map((f: { name: string }) => f.name)).toEqual(['café.txt'])
    const star = rawForm(`name="files"; filename*=UTF-8''na%C3%AFve.txt`)
    const { body: starBody } = await answer(sendStream(chunked(star, 5)))
    expect(starBody.form.files[0]).toMatchObject({
      name: 'naïve.txt',
      contentType: 'application/octet-stream',
    })
  })
})

describe('multipart limits', () => {
  const tooBigFile = `File 'big.bin' is larger than the limit of ${testLimits.maxFileBytes} bytes`

  it('answers 413 for a file over maxFileBytes, and accepts one at the limit', async () => {
    const atLimit = await postForm(app, [
      ...prompt,
      { name: 'files', filename: 'big.bin', value: 'a'.repeat(testLimits.maxFileBytes) },
    ])
    expect(atLimit.status).toBe(200)
    expect(
      await answer(
        postForm(app, [
          ...prompt,
          { name: 'files', filename: 'big.bin', value: 'a'.repeat(testLimits.maxFileBytes + 1) },
        ]),
      ),
    ).toEqual({ status: 413, body: { detail: tooBigFile } })
  })

  it('counts files of other fields against maxFileBytes too', async () => {
    const { status } = await answer(
      postForm(app, [
        ...prompt,
        { name: 'other', filename: 'big.bin', value: 'a'.repeat(testLimits.maxFileBytes + 1) },
      ]),
    )
    expect(status).toBe(413)
  })

  it('answers 413 for more than maxFiles files', async () => {
    const files = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: 'files', filename: `f${i}.txt`, value: 'x' }))
    expect((await postForm(app, [...prompt, ...files(testLimits.maxFiles)])).status).toBe(200)
    expect(await answer(postForm(app, [...prompt, ...files(testLimits.maxFiles + 1)]))).toEqual({
      status: 413,
      body: { detail: `At most ${testLimits.maxFiles} files per request` },
    })
  })

  it('answers 413 for a body over maxRequestBytes, however Content-Length reads', async () => {
    const tooLarge = {
      status: 413,
      body: {
        detail: `Request body is larger than the limit of ${testLimits.maxRequestBytes} bytes`,
      },
    }
    const body = multipartBody([
      ...prompt,
      { name: 'text_prompt', value: 'a'.repeat(testLimits.maxRequestBytes) },
    ])
    // Declared honestly: refused before reading.
    expect(await answer(postForm(app, [{ name: 'x', value: 'a'.repeat(9000) }]))).toEqual(tooLarge)
    // Not declared at all, then declared as tiny: counted while streaming.
    expect(await answer(sendStream(chunked(body, 1000)))).toEqual(tooLarge)
    expect(await answer(sendStream(chunked(body, 1000), { 'Content-Length': '100' }))).toEqual(
      tooLarge,
    )
  })

  it('stops reading an endless upload promptly', async () => {
    let pulled = 0
    const head = new TextEncoder().encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n`,
    )
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        controller.enqueue(pulled === 1 ? head : new Uint8Array(256).fill(0x61))
      },
    })
    expect(await answer(sendStream(endless))).toEqual({ status: 413, body: { detail: tooBigFile } })
    expect(pulled).toBeLessThan(testLimits.maxFileBytes / 256 + 5)
  })
})

describe('a small body with a Content-Length (read whole)', () => {
  const declared = (bytes: Uint8Array) => ({ 'Content-Length': String(bytes.byteLength) })

  it('answers as a streamed body does', async () => {
    const body = multipartBody([
      {
        name: 'files',
        filename: 'a.txt',
        contentType: 'Text/Plain; Charset=UTF-8',
        value: 'alpha',
      },
      { name: 'agent_id', value: 'echo' },
      { name: 'text_prompt', contentType: 'text/plain; charset=latin1', value: 'caf\xe9' },
      { name: 'files', filename: 'b.bin', value: new Uint8Array([0, 255, 13, 10]) },
    ])
    const streamed = await answer(sendStream(chunked(body, 7)))
    const whole = await answer(sendStream(chunked(body, 7), declared(body)))
    expect(streamed.status).toBe(200)
    expect(whole).toEqual(streamed)
  })

  it('still answers 422 for a truncated body and 413 past the limits', async () => {
    const full = multipartBody([...prompt, { name: 'files', filename: 'a.txt', value: 'alpha' }])
    const cut = full.slice(0, full.byteLength - 30)
    expect((await answer(sendStream(chunked(cut, 16), declared(cut)))).status).toBe(422)
    const tooMany = multipartBody([
      ...prompt,
      ...['a', 'b', 'c', 'd'].map((name) => ({ name: 'files', filename: name, value: name })),
    ])
    expect(await answer(sendStream(chunked(tooMany, 64), declared(tooMany)))).toEqual({
      status: 413,
      body: { detail: `At most ${testLimits.maxFiles} files per request` },
    })
  })
})

describe('the upload buffer', () => {
  const gated = createTestApp({ ...testLimits, uploadBufferBytes: 1024 })
  const form = (fill: string) =>
    multipartBody([...prompt, { name: 'files', filename: `${fill}.bin`, value: fill.repeat(900) }])
  const post = (body: ReadableStream<Uint8Array>) =>
    gated.request(streamRequest('/sessions/text', 'POST', body, { 'Content-Type': FORM_TYPE }))
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  it('leaves a body unread while others fill the buffer, then answers it as if alone', async () => {
    const first = form('a')
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let firstPulls = 0
    // The first upload sends most of its body, then stalls until released.
    const stalled = new ReadableStream<Uint8Array>({
      async pull(controller) {
        firstPulls += 1
        if (firstPulls === 1) controller.enqueue(first.slice(0, 1000))
        else if (firstPulls === 2) {
          await released
          controller.enqueue(first.slice(1000))
        } else controller.close()
      },
    })
    let secondPulls = 0
    const second = form('b')
    const counted = new ReadableStream<Uint8Array>({
      pull(controller) {
        const offset = secondPulls * 200
        secondPulls += 1
        if (offset >= second.byteLength) controller.close()
        else controller.enqueue(second.slice(offset, offset + 200))
      },
    })
    const firstAnswer = post(stalled)
    await ticks(5)
    const secondAnswer = post(counted)
    await ticks(20)
    // One chunk read and waiting for room, one more queued by the stream: no further.
    expect(secondPulls).toBeLessThanOrEqual(2)
    release()
    const answers = await Promise.all([answer(firstAnswer), answer(secondAnswer)])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    expect(answers.map((a) => a.body.form.files[0].text)).toEqual([
      'a'.repeat(900),
      'b'.repeat(900),
    ])
  })

  it('does not hold a small prompt read whole behind uploads', async () => {
    const upload = form('s')
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let pulls = 0
    const stalled = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls += 1
        if (pulls === 1) controller.enqueue(upload.slice(0, 1000))
        else if (pulls === 2) {
          await released
          controller.enqueue(upload.slice(1000))
        } else controller.close()
      },
    })
    const uploadAnswer = post(stalled)
    await ticks(5)
    const small = multipartBody(prompt)
    const promptAnswer = await answer(
      gated.request(
        streamRequest('/sessions/text', 'POST', chunked(small, 50), {
          'Content-Type': FORM_TYPE,
          'Content-Length': String(small.byteLength),
        }),
      ),
    )
    expect(promptAnswer.status).toBe(200)
    release()
    expect((await answer(uploadAnswer)).status).toBe(200)
  })

  it('refuses nothing: many uploads at once over a small buffer all get through', async () => {
    const fills = ['c', 'd', 'e', 'f', 'g', 'h']
    const answers = await Promise.all(fills.map((fill) => answer(post(chunked(form(fill), 300)))))
    expect(answers.map((a) => a.status)).toEqual(fills.map(() => 200))
    expect(answers.map((a) => a.body.form.files[0].sha256)).toEqual(
      fills.map((fill) => sha256(fill.repeat(900))),
    )
  })
})

describe('malformed multipart', () => {
  it('answers 422 for a truncated body', async () => {
    const whole = multipartBody([...prompt, { name: 'files', filename: 'a.txt', value: 'alpha' }])
    for (const cut of [10, whole.byteLength - 30, whole.byteLength - 4]) {
      const { status, body } = await answer(sendStream(chunked(whole.slice(0, cut), 16)))
      expect(status).toBe(422)
      expect(body.detail).toEqual([
        {
          type: 'value_error',
          loc: ['body'],
          msg: expect.stringMatching(/^Value error, Malformed multipart\/form-data body: /),
          input: null,
          ctx: { error: expect.stringMatching(/Unexpected end of form|Malformed part header/) },
        },
      ])
    }
  })

  it('answers 422 for a Content-Type without boundary, and for garbage', async () => {
    const noBoundary = await app.request('/sessions/text', {
      method: 'POST',
      body: 'hello',
      headers: { 'Content-Type': 'multipart/form-data' },
    })
    expect(noBoundary.status).toBe(422)
    const garbage = await app.request('/sessions/text', {
      method: 'POST',
      body: 'this is not multipart at all',
      headers: { 'Content-Type': FORM_TYPE },
    })
    expect(garbage.status).toBe(422)
  })

  it('answers 415 for any other Content-Type', async () => {
    const cases: Record<string, string>[] = [
      { 'Content-Type': 'application/json' },
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      {},
    ]
    for (const headers of cases) {
      expect(
        // Bytes, not a string: fetch would label a string body text/plain.
        await answer(
          app.request('/sessions/text', {
            method: 'POST',
            body: new TextEncoder().encode('{}'),
            headers,
          }),
        ),
      ).toEqual({ status: 415, body: { detail: 'Content-Type must be multipart/form-data' } })
    }
  })
})

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { openapiDocument } from '@uxmate/contract/document'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type BootedServer, bootServer } from '../../src/boot.ts'
import { defaultConfig } from '../../src/config/config.ts'
import { createJsonLogger } from '../../src/logger.ts'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

let browser: Browser
let server: BootedServer
let http: ReturnType<typeof serve>
let base: string
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'uxmate-e2e-'))
  server = await bootServer({ ...defaultConfig, dataDir }, createJsonLogger('silent'))
  http = serve({ fetch: server.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => http.once('listening', resolve))
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => http?.close(resolve))
  await server?.close()
  await rm(dataDir, { recursive: true, force: true })
})

/** A page of /docs whose problems are recorded: console errors and warnings, failed loads. */
async function openDocs() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  const outside: string[] = []
  const problems: string[] = []
  // The page runs under the server's Content-Security-Policy: anything it blocks shows here, as
  // does any error Swagger UI logs (a missing component, a bad schema).
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()}`)
    }
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().includes('/sessions')) {
      problems.push(`${response.status()} for ${response.url()}`)
    }
  })
  // The network is the server and nothing else: any other request is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(base)) return route.continue()
    outside.push(url)
    return route.abort()
  })
  const response = await page.goto(`${base}/docs`)
  await page.waitForSelector('.opblock', { timeout: 30_000 })
  return { page, response, outside, problems }
}

it('shows every operation of openapi.yaml at /docs, without a warning, loading nothing from outside', async () => {
  const { page, response, outside, problems } = await openDocs()
  const operations = Object.values(openapiDocument.paths).flatMap((item) =>
    ['get', 'put', 'post', 'delete', 'patch'].flatMap((method) => {
      const operation = item[method as 'get']
      return operation?.operationId ? [operation.operationId] : []
    }),
  )
  const listed = await page.$$eval('.opblock .opblock-summary-operation-id', (nodes) =>
    nodes.map((node) => node.textContent?.trim()),
  )
  // The webhooks are listed too, under their own names.
  const webhooks = Object.values(openapiDocument.webhooks ?? {}).flatMap((item) =>
    ['get', 'put', 'post', 'delete', 'patch'].filter((method) => method in item),
  )
  expect(listed).toEqual(expect.arrayContaining(operations))
  expect(listed).toHaveLength(operations.length + webhooks.length)
  // Swagger UI's warning boxes (an unsupported jsonSchemaDialect, a spec it cannot parse).
  expect(await page.locator('.error-wrapper, .errors-wrapper').count()).toBe(0)
  // Opening operations renders their parameters, bodies and responses (more of Swagger UI): a
  // form with files, a JSON body, a download and an event stream.
  const opened = ['create_session_from_text', 'ui_chat', 'get_session_file', 'get_session_events']
  for (const id of opened) await page.locator(`[id$="-${id}"] .opblock-summary`).click()
  await expect.poll(() => page.locator('.opblock-body').count()).toBe(opened.length)
  expect(outside).toEqual([])
  expect(problems).toEqual([])
  const policy = response?.headers()['content-security-policy']
  expect(policy).toContain("script-src 'self';")
  expect(policy).not.toContain('unsafe-eval')
  await page.close()
})

it('creates a session from "Try it out" as the page fills it in, twice', async () => {
  const { page, outside, problems } = await openDocs()
  const operation = page.locator('#operations-Sessions-create_session_from_text')
  await operation.locator('.opblock-summary').click()
  await operation.getByRole('button', { name: 'Try it out' }).click()
  // The examples are ones that work: the built-in agent, a prompt, and no fixed key.
  const field = (name: string) => operation.locator(`input[placeholder="${name}"]`).inputValue()
  await expect.poll(() => field('agent_id')).toBe('echo')
  expect(await field('text_prompt')).toMatch(/\S/)
  expect(await field('Idempotency-Key')).toBe('')
  expect(await field('Prefer')).toBe('')
  expect(await operation.locator('.json-schema-form-item').count()).toBe(0) // no file

  const answers: number[] = []
  page.on('response', (answer) => {
    if (answer.url().endsWith('/sessions/text')) answers.push(answer.status())
  })
  const execute = operation.getByRole('button', { name: 'Execute' })
  await execute.click()
  await expect.poll(() => answers.length).toBe(1)
  await operation.getByRole('button', { name: 'Clear' }).click()
  await execute.click()
  await expect.poll(() => answers.length).toBe(2)
  expect(answers).toEqual([200, 200])
  const shown = operation.locator('.live-responses-table tbody .response-col_status').first()
  await expect.poll(() => shown.textContent()).toBe('200')
  const { sessions } = (await (await fetch(`${base}/sessions?agent_id=echo`)).json()) as {
    sessions: Array<{ status: string; messages: Array<{ text: string; files?: unknown[] }> }>
  }
  expect(sessions.map((session) => session.status)).toEqual(['Ready', 'Ready'])
  expect(sessions[0]?.messages.map((message) => message.text)).toEqual([
    'Summarise these notes.',
    'You said: Summarise these notes.',
  ])
  expect(sessions[0]?.messages[0]?.files ?? []).toEqual([])
  await operation.locator('.opblock-section-request-body').scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(import.meta.dirname, '../../../../docs/api-reference.png') })
  expect(outside).toEqual([])
  expect(problems).toEqual([])
  await page.close()
})

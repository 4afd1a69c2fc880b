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

it('shows every operation of openapi.yaml at /docs, loading nothing from outside the server', async () => {
  const page = await browser.newPage()
  const outside: string[] = []
  // The page runs under the server's Content-Security-Policy: anything it blocks shows here.
  const blocked: string[] = []
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) blocked.push(message.text())
  })
  page.on('pageerror', (error) => blocked.push(`page error: ${error.message}`))
  // The network is the server and nothing else: any other request is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(base)) return route.continue()
    outside.push(url)
    return route.abort()
  })
  await page.goto(`${base}/docs`)
  await page.waitForSelector('.opblock', { timeout: 30_000 })

  const operations = Object.values(openapiDocument.paths).flatMap((item) =>
    ['get', 'put', 'post', 'delete', 'patch'].flatMap((method) => {
      const operation = item[method as 'get']
      return operation?.operationId ? [operation.operationId] : []
    }),
  )
  const listed = await page.$$eval('.opblock .opblock-summary-operation-id', (nodes) =>
    nodes.map((node) => node.textContent?.trim()),
  )
  expect(listed.sort()).toEqual([...operations].sort())
  expect(outside).toEqual([])
  // Opening an operation renders its parameters and responses (more of Swagger UI's code).
  await page.click('.opblock-summary')
  await page.waitForSelector('.opblock-body', { timeout: 30_000 })
  expect(blocked).toEqual([])
  const response = await page.goto(`${base}/docs`)
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
  await page.close()
})

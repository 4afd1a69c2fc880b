/**
 * The reference web app in a real browser (Debian's Chromium, driven by playwright-core)
 * against a real server: the echo agent, and an agent on an OpenAI-compatible fake that this
 * test starts. Screenshots of the sidebar and a streaming chat go to docs/.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootServer, createJsonLogger, defaultConfig, listen, newApiKey } from '@uxmate/server'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const webAppDir = join(import.meta.dirname, '../../dist')
const docsDir = join(import.meta.dirname, '../../../../docs')
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

let browser: Browser
const cleanups: Array<() => Promise<void>> = []

/** A fake model: streams `reply` a word every 20 ms, or fails with a 500 when it says FAIL. */
async function startFakeModel(): Promise<string> {
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (part) => {
      body += part
    })
    request.on('end', async () => {
      const { stream, messages } = JSON.parse(body) as {
        stream?: boolean
        messages: Array<{ content: unknown }>
      }
      const last = JSON.stringify(messages.at(-1)?.content ?? '')
      if (last.includes('FAIL')) {
        response.writeHead(400, { 'Content-Type': 'application/json' })
        return response.end(JSON.stringify({ error: { message: 'model refused', type: 'x' } }))
      }
      const chunk = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'fake', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      if (!stream) {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        const message = { role: 'assistant', content: 'Interview plan' }
        return response.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 1,
            model: 'fake',
            choices: [{ index: 0, message, finish_reason: 'stop' }],
          }),
        )
      }
      response.writeHead(200, { 'Content-Type': 'text/event-stream' })
      for (const word of 'Here are five questions for the first week of onboarding.'.split(' ')) {
        response.write(chunk({ content: `${word} ` }))
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      response.end(`${chunk({}, 'stop')}data: [DONE]\n\n`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
}

/** A server on a fresh data folder, serving the built app at /. */
async function startServer(options: { echoDelayMs: number; withKey?: boolean }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'uxmate-web-e2e-'))
  const model = await startFakeModel()
  const agentsFile = join(dataDir, 'agents.yaml')
  await writeFile(
    agentsFile,
    [
      'agents:',
      '  - id: echo',
      '    name: Echo',
      '    provider: echo',
      '    welcome_message: Hi! I repeat what you tell me.',
      '  - id: researcher',
      '    name: UX Researcher',
      '    provider: openai',
      '    model: fake',
      `    base_url: ${model}`,
      '    icon: R',
      '    welcome_message: Tell me about the users you want to understand.',
    ].join('\n'),
  )
  const key = newApiKey('team-a')
  let apiKeysFile: string | undefined
  if (options.withKey) {
    apiKeysFile = join(dataDir, 'keys.yaml')
    await writeFile(apiKeysFile, `- owner: team-a\n  sha256: ${key.entry.sha256}\n`)
  }
  const server = await bootServer(
    {
      ...defaultConfig,
      dataDir,
      webAppDir,
      agentsFile,
      apiKeysFile,
      echoDelayMs: options.echoDelayMs,
      agentMaxRetries: 0,
    },
    createJsonLogger('silent'),
    undefined,
    { OPENAI_API_KEY: 'sk-test' },
  )
  const http = listen(server.app.fetch, { ...defaultConfig, host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => http.once('listening', resolve))
  cleanups.push(async () => {
    await server.close()
    http.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  return { base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, key: key.key }
}

/** A page that fails the test on any script error or console error. */
async function openApp(base: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  await page.goto(base)
  return { page, problems }
}

const lastReply = (page: Page) => page.getByTestId('message-assistant').last()

/** A new chat with the echo agent for each prompt, each one waited for in the sidebar. */
async function startEchoChats(page: Page, prompts: string[]): Promise<void> {
  const sidebar = page.getByRole('navigation', { name: 'Sessions' })
  for (const prompt of prompts) {
    await page.getByRole('button', { name: '+ New chat' }).click()
    await page.getByRole('button', { name: /Echo/ }).click()
    await page.getByLabel('Message').fill(prompt)
    await page.getByRole('button', { name: 'Send' }).click()
    await expect
      .poll(() => sidebar.getByRole('button', { name: prompt, exact: true }).count())
      .toBe(1)
  }
}

beforeAll(async () => {
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
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('the reference web app', () => {
  it('starts a chat from the agent picker, streams the reply and lists the session', async () => {
    const { base } = await startServer({ echoDelayMs: 100 })
    const { page, problems } = await openApp(base)
    await expect.poll(() => page.getByText('Hi! I repeat what you tell me.').count()).toBe(1)
    await page.getByRole('button', { name: /Echo/ }).click()
    const prompt =
      'Plan a user interview about onboarding for the banking app, with five questions on the first week'
    await page.getByLabel('Message').fill(prompt)
    await page.getByRole('button', { name: 'Send' }).click()
    // Part of the reply shows before the whole of it.
    await expect
      .poll(async () => (await lastReply(page).textContent())?.length ?? 0)
      .toBeGreaterThan(0)
    expect(await lastReply(page).textContent()).not.toBe(`You said: ${prompt}`)
    await page.screenshot({ path: join(docsDir, 'web-app-streaming.png') })
    await expect
      .poll(() => lastReply(page).textContent(), { timeout: 20_000 })
      .toBe(`You said: ${prompt}`)
    const sidebar = page.getByRole('navigation', { name: 'Sessions' })
    await expect.poll(() => sidebar.getByText('Today').count()).toBe(1)
    await expect
      .poll(() => sidebar.getByRole('button', { name: /^Plan a user interview/ }).count())
      .toBe(1)
    await page.screenshot({ path: join(docsDir, 'web-app.png') })
    expect(problems).toEqual([])
  })

  it('continues a reply after a reload, and Stop cancels one keeping what was written', async () => {
    const { base } = await startServer({ echoDelayMs: 60 })
    const { page, problems } = await openApp(base)
    await page.getByRole('button', { name: /Echo/ }).click()
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')
    await page.getByLabel('Message').fill(words)
    await page.getByRole('button', { name: 'Send' }).click()
    await expect
      .poll(async () => (await lastReply(page).textContent())?.length ?? 0)
      .toBeGreaterThan(10)
    await page.reload()
    // The same chat, its reply picked up again from the start of the reply, to its end.
    await expect
      .poll(() => lastReply(page).textContent(), { timeout: 20_000 })
      .toBe(`You said: ${words}`)

    await page.getByLabel('Message').fill(words)
    await page.getByRole('button', { name: 'Send' }).click()
    // The second reply under way (the first one is the last until it shows).
    const second = page.getByTestId('message-assistant').nth(1)
    await expect.poll(async () => (await second.textContent())?.length ?? 0).toBeGreaterThan(10)
    await page.getByRole('button', { name: 'Stop' }).click()
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).count()).toBe(1)
    // The page shows what the cancelled run kept: the stored reply, a few words past the
    // last one that had streamed in, maybe.
    const chatId = new URL(page.url()).hash.replace('#/chat/', '')
    const stored = async () => {
      const session = (await (await fetch(`${base}/sessions/${chatId}`)).json()) as {
        status: string
        messages: Array<{ text: string }>
      }
      return session.status === 'Running' ? undefined : session.messages.at(-1)?.text
    }
    await expect.poll(async () => (await second.textContent()) === (await stored())).toBe(true)
    const partial = (await second.textContent()) ?? ''
    expect(partial.length).toBeLessThan(`You said: ${words}`.length)
    await page.reload()
    await expect.poll(() => second.textContent()).toBe(partial)
    expect(problems).toEqual([])
  })

  it('renames and deletes a session from the sidebar', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    await page.getByRole('button', { name: /Echo/ }).click()
    await page.getByLabel('Message').fill('Notes for Tuesday')
    await page.getByRole('button', { name: 'Send' }).click()
    const sidebar = page.getByRole('navigation', { name: 'Sessions' })
    await expect
      .poll(() => sidebar.getByRole('button', { name: 'Notes for Tuesday', exact: true }).count())
      .toBe(1)
    await sidebar.getByRole('button', { name: 'Rename Notes for Tuesday' }).click()
    await page.getByLabel('Session name').fill('Tuesday interviews')
    await page.getByLabel('Session name').press('Enter')
    await expect
      .poll(() => sidebar.getByRole('button', { name: 'Tuesday interviews', exact: true }).count())
      .toBe(1)
    page.once('dialog', (dialog) => void dialog.accept())
    await sidebar.getByRole('button', { name: 'Delete Tuesday interviews' }).click()
    await expect.poll(() => sidebar.getByText('No sessions yet.').count()).toBe(1)
    expect(problems).toEqual([])
  })

  it('pins a session to a group of its own first, archives it and brings it back', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    const sidebar = page.getByRole('navigation', { name: 'Sessions' })
    await startEchoChats(page, ['Survey draft', 'Persona notes'])
    const groupOf = (name: string) =>
      sidebar
        .locator('section.group', { has: page.getByRole('button', { name, exact: true }) })
        .locator('h2')
        .textContent()
    // A session's actions show when the pointer is over it.
    const act = async (action: string, name: string) => {
      await sidebar.getByRole('button', { name, exact: true }).hover()
      await sidebar.getByRole('button', { name: `${action} ${name}` }).click()
    }
    await act('Pin', 'Survey draft')
    await expect.poll(() => groupOf('Survey draft')).toBe('Pinned')
    expect(await groupOf('Persona notes')).toBe('Today')
    // The pinned group comes first although the other session is newer.
    expect(await sidebar.locator('section.group h2').first().textContent()).toBe('Pinned')
    await sidebar.getByRole('button', { name: 'Survey draft', exact: true }).hover()
    await page.screenshot({ path: join(docsDir, 'web-app-pinned.png') })

    await act('Archive', 'Persona notes')
    await expect
      .poll(() => sidebar.getByRole('button', { name: 'Persona notes', exact: true }).count())
      .toBe(0)
    await sidebar.getByRole('button', { name: 'Archived sessions' }).click()
    await expect
      .poll(() => sidebar.getByRole('button', { name: 'Persona notes', exact: true }).count())
      .toBe(1)
    expect(await sidebar.getByRole('button', { name: 'Survey draft', exact: true }).count()).toBe(0)
    await act('Unarchive', 'Persona notes')
    await expect.poll(() => sidebar.getByText('Nothing archived.').count()).toBe(1)
    await sidebar.getByRole('button', { name: '← Back to sessions' }).click()
    await expect.poll(() => groupOf('Persona notes')).toBe('Today')
    expect(problems).toEqual([])
  })

  it('searches the sessions as the user types, the matched words marked, and opens a hit', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    const sidebar = page.getByRole('navigation', { name: 'Sessions' })
    await startEchoChats(page, ['Questions for the onboarding interviews', 'Pricing page copy'])
    await page.getByLabel('Search sessions').pressSequentially('onbo')
    const results = sidebar.getByRole('list', { name: 'Search results' })
    await expect.poll(() => results.locator('mark').first().textContent()).toBe('onboarding')
    expect(await results.getByText('Pricing page copy').count()).toBe(0)
    await page.screenshot({ path: join(docsDir, 'web-app-search.png') })
    await results.getByRole('button').first().click()
    await expect
      .poll(() =>
        page.getByRole('heading', { name: 'Questions for the onboarding interviews' }).count(),
      )
      .toBe(1)
    await page.getByLabel('Search sessions').fill('!!')
    await expect.poll(() => sidebar.getByText('Type a word to look for.').count()).toBe(1)
    await page.getByLabel('Search sessions').press('Escape')
    await expect.poll(() => sidebar.getByText('Today').count()).toBe(1)
    expect(problems).toEqual([])
  })

  it('regenerates the last reply, the one it replaces kept in the session', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    await page.getByRole('button', { name: /Echo/ }).click()
    await page.getByLabel('Message').fill('Three survey questions')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => lastReply(page).textContent()).toMatch(/^You said: Three survey/)
    const chatId = new URL(page.url()).hash.replace('#/chat/', '')
    const replies = async () => {
      const tree = (await (await fetch(`${base}/sessions/${chatId}/tree`)).json()) as {
        messages: Array<{ role: string }>
      }
      return tree.messages.filter((m) => m.role === 'assistant').length
    }
    expect(await replies()).toBe(1)
    await page.getByRole('button', { name: 'Regenerate' }).click()
    await expect.poll(replies).toBe(2)
    await expect.poll(() => page.getByRole('button', { name: 'Regenerate' }).count()).toBe(1)
    // One reply shown: the new one, on the active branch.
    expect(await page.getByTestId('message-assistant').count()).toBe(1)
    await page.reload()
    await expect.poll(() => page.getByTestId('message-assistant').count()).toBe(1)
    expect(problems).toEqual([])
  })

  it('edits a message into a new branch and goes back to the old one', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    await page.getByRole('button', { name: /Echo/ }).click()
    await page.getByLabel('Message').fill('First draft of the survey')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => lastReply(page).textContent()).toMatch(/^You said: First draft/)
    await page.getByRole('button', { name: 'Edit' }).click()
    await page.getByLabel('Edited message').fill('Second draft of the survey')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect
      .poll(() => lastReply(page).textContent(), { timeout: 20_000 })
      .toMatch(/^You said: Second draft of the survey/)
    const user = page.getByTestId('message-user')
    const userItem = page.locator('li.message.user')
    await expect.poll(() => user.textContent()).toMatch(/^Second draft of the survey/)
    await expect.poll(() => userItem.getByText('2/2').count()).toBe(1)
    await userItem.getByRole('button', { name: 'Previous version' }).click()
    await expect.poll(() => user.textContent()).toMatch(/^First draft of the survey/)
    expect(await lastReply(page).textContent()).toMatch(/^You said: First draft/)
    expect(await userItem.getByText('1/2').count()).toBe(1)
    // The branch shown is the session's: a reload shows it too.
    await page.reload()
    await expect.poll(() => page.getByTestId('message-user').textContent()).toMatch(/^First draft/)
    await page.screenshot({ path: join(docsDir, 'web-app-branches.png') })
    expect(problems).toEqual([])
  })

  it('attaches a file, and downloads it from the stored chat', async () => {
    const { base } = await startServer({ echoDelayMs: 0 })
    const { page, problems } = await openApp(base)
    await page.getByRole('button', { name: /Echo/ }).click()
    await page.getByLabel('Attach files').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Interview notes, Tuesday'),
    })
    await page.getByLabel('Message').fill('Summarise the notes')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => lastReply(page).textContent()).toMatch(/^You said: Summarise the notes/)
    await page.reload()
    const file = page.getByRole('button', { name: 'Download notes.txt' })
    await expect.poll(() => file.count()).toBe(1)
    const [download] = await Promise.all([page.waitForEvent('download'), file.click()])
    expect(download.suggestedFilename()).toBe('notes.txt')
    expect(await readFile((await download.path()) ?? '', 'utf8')).toBe('Interview notes, Tuesday')
    expect(problems).toEqual([])
  })

  it('asks for the API key once and keeps it; talks to an agent on a model; shows its failures', async () => {
    const { base, key } = await startServer({ echoDelayMs: 0, withKey: true })
    const { page, problems } = await openApp(base)
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('button', { name: /UX Researcher/ }).click()
    await page.getByLabel('Message').fill('Who should we interview?')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect
      .poll(() => lastReply(page).textContent(), { timeout: 20_000 })
      .toBe('Here are five questions for the first week of onboarding. ')
    await page.reload()
    // Kept: no prompt after the reload.
    await expect.poll(() => lastReply(page).count()).toBe(1)
    expect(await page.getByLabel('API key').count()).toBe(0)
    await page.getByLabel('Message').fill('FAIL now')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/model provider/)
    // The 401 before the key was entered is the one console error.
    expect(problems.filter((problem) => !problem.includes('401'))).toEqual([])
  })
})

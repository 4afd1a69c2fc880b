/**
 * A consumer of the published packages, compiled under `strict` in a project outside the
 * workspace and run against a live server by consumer.test.ts. It prints what it saw as JSON.
 */
import { createUxmateClient, type Session, UxmateApiError } from '@uxmate/client'

const baseUrl = process.env.UXMATE_URL
if (!baseUrl) throw new Error('UXMATE_URL is not set')
const client = createUxmateClient({ baseUrl, retry: false })

async function caught(call: () => Promise<unknown>): Promise<UxmateApiError> {
  try {
    await call()
  } catch (error) {
    if (error instanceof UxmateApiError) return error
    throw error
  }
  throw new Error('expected an UxmateApiError')
}

const created: Session = await client.sessions.createSessionFromText({
  agent_id: 'echo',
  text_prompt: 'Read my notes',
  files: [
    new File(['first file'], 'one.txt', { type: 'text/plain' }),
    { name: 'two.csv', data: new TextEncoder().encode('a,b\n1,2\n'), type: 'text/csv' },
  ],
})
const read = await client.sessions.getSession(created.id)
for (let i = 0; i < 4; i++) {
  await client.sessions.createSessionFromText({ agent_id: 'echo', text_prompt: `Extra ${i}` })
}
const listed: string[] = []
for await (const session of client.sessions.iterateSessions({ agent_id: 'echo', limit: 2 })) {
  listed.push(session.id)
}
const updated = await client.sessions.updateSession(created.id, { text_prompt: 'Again' })
const grouped = await client.sessions.getGroupedSessions({ tz: 'Europe/Paris' })
const notFound = await caught(() =>
  client.sessions.getSession('0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'),
)
const invalid = await caught(() => client.sessions.getSessions({ agent_id: 'echo', limit: 0 }))

console.log(
  JSON.stringify({
    created: {
      status: created.status,
      files: created.messages[0]?.files?.map((file) => [file.name, file.content_type, file.size]),
      reply: created.messages[1]?.text,
    },
    readBack: read.id === created.id && read.messages.length === 2,
    listed: listed.length,
    listedIncludesCreated: listed.includes(created.id),
    updated: updated.messages.map((message) => message.role),
    groupedToday: grouped.time_to_sessions.Today?.length ?? 0,
    notFound: { status: notFound.status, detail: notFound.detail },
    invalid: {
      status: invalid.status,
      isValidationError: invalid.isValidationError(),
      loc: invalid.isValidationError() ? invalid.problem.errors[0]?.loc : undefined,
    },
  }),
)

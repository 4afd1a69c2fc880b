import { describe, expect, it } from 'vitest'
import { type Agent, createUxmateClient, UxmateApiError } from '../src/index.ts'
import { fakeFetch, json } from './fake-fetch.ts'
import { baseUrl } from './fixtures.ts'

const echo: Agent = {
  id: 'echo',
  name: 'Echo',
  assistant_id: 'echo',
  assistant_nickname: 'Echo',
  welcome_message: 'Hi! I repeat what you tell me.',
  user_initial_message: '',
  icon: '',
  visibility_requirements: [],
}

describe('agents', () => {
  it('getAgents GETs /agents', async () => {
    const fetch = fakeFetch(json({ agents: [echo] }))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(client.agents.getAgents()).resolves.toEqual({ agents: [echo] })
    expect(fetch.requests[0]?.method).toBe('GET')
    expect(fetch.requests[0]?.url).toBe(`${baseUrl}/agents`)
  })

  it('getAgent GETs one agent, its id encoded, and throws a 404 as UxmateApiError', async () => {
    const fetch = fakeFetch(json(echo), json({ detail: 'Agent not found' }, 404))
    const client = createUxmateClient({ baseUrl, fetch })
    await expect(client.agents.getAgent('echo')).resolves.toEqual(echo)
    const error = await client.agents.getAgent('a/b').catch((e: unknown) => e)
    expect(fetch.requests[1]?.url).toBe(`${baseUrl}/agents/a%2Fb`)
    expect(error).toBeInstanceOf(UxmateApiError)
    expect(error).toMatchObject({
      status: 404,
      operationId: 'get_agent',
      detail: 'Agent not found',
    })
  })
})

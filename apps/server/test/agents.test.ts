/**
 * Agents: the agents file (checked at start, every problem named) and `GET /agents(/{id})`.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Agent, GetAgentsResponse } from '@uxmate/contract'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AgentsFileError, loadAgentsFile, parseAgentsDocument } from '../src/agents/agents-file.ts'
import { createAgents } from '../src/agents/create-agents.ts'
import { bootServer } from '../src/boot.ts'
import { defaultAgentsFile, defaultConfig } from '../src/config/config.ts'
import { ConfigError } from '../src/config/load-config.ts'
import { createJsonLogger } from '../src/logger.ts'
import { createTestApp } from './test-app.ts'

const env = { OPENAI_API_KEY: 'sk-test', OLLAMA_API_KEY: 'ollama' }
const logger = createJsonLogger('silent')

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxmate-agents-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const researcher = {
  id: 'ux-researcher',
  name: 'UX Researcher',
  provider: 'openai',
  model: 'gpt-4o-mini',
  instructions: 'You are a UX researcher.',
  welcome_message: 'Tell me about your users.',
  user_initial_message: 'Plan a user interview',
  icon: '🔎',
}

describe('the agents file', () => {
  it('reads YAML and maps each entry onto the Agent fields', async () => {
    const file = join(dir, 'agents.yaml')
    await writeFile(
      file,
      [
        'agents:',
        '  - id: echo',
        '    name: Echo',
        '    provider: echo',
        '  - id: local',
        '    name: Local Llama',
        '    provider: openai',
        '    model: llama3.2',
        '    base_url: http://localhost:11434/v1',
        '    api_key_env: OLLAMA_API_KEY',
      ].join('\n'),
    )
    const definitions = loadAgentsFile(file, env)
    expect(
      definitions.map(({ id, provider, baseUrl, apiKey }) => ({ id, provider, baseUrl, apiKey })),
    ).toEqual([
      { id: 'echo', provider: 'echo', baseUrl: undefined, apiKey: undefined },
      { id: 'local', provider: 'openai', baseUrl: 'http://localhost:11434/v1', apiKey: 'ollama' },
    ])
    const agents = createAgents(definitions, defaultConfig, logger)
    expect(agents.map((agent) => agent.profile)).toEqual([
      {
        id: 'echo',
        name: 'Echo',
        assistant_id: 'echo',
        assistant_nickname: 'Echo',
        welcome_message: '',
        user_initial_message: '',
        icon: '',
        visibility_requirements: [],
      },
      {
        id: 'local',
        name: 'Local Llama',
        assistant_id: 'llama3.2',
        assistant_nickname: 'Local Llama',
        welcome_message: '',
        user_initial_message: '',
        icon: '',
        visibility_requirements: [],
      },
    ])
    // Only the openai agent can title sessions.
    expect(agents.map((agent) => agent.title !== undefined)).toEqual([false, true])
  })

  it('reads JSON, with OPENAI_BASE_URL for agents without base_url', async () => {
    const file = join(dir, 'agents.json')
    await writeFile(file, JSON.stringify({ agents: [researcher] }))
    const [definition] = loadAgentsFile(file, { ...env, OPENAI_BASE_URL: 'https://llm.example/v1' })
    expect(definition).toEqual({
      id: 'ux-researcher',
      name: 'UX Researcher',
      provider: 'openai',
      model: 'gpt-4o-mini',
      instructions: 'You are a UX researcher.',
      welcomeMessage: 'Tell me about your users.',
      userInitialMessage: 'Plan a user interview',
      icon: '🔎',
      vision: true,
      baseUrl: 'https://llm.example/v1',
      apiKey: 'sk-test',
      context: {
        contextWindow: 8192,
        maxOutputTokens: 1024,
        strategy: 'compact',
        attachmentTurns: 2,
      },
    })
  })

  it('takes each context setting at its bounds and refuses one past them, naming it', () => {
    const agent = (fields: Record<string, unknown>) =>
      parseAgentsDocument({ agents: [{ ...researcher, ...fields }] }, env)
    const at = agent({
      context_window: 1024,
      max_output_tokens: 512,
      context_strategy: 'truncate',
      attachment_turns: 0,
    })
    expect(at.problems).toEqual([])
    expect(at.definitions[0]?.context).toEqual({
      contextWindow: 1024,
      maxOutputTokens: 512,
      strategy: 'truncate',
      attachmentTurns: 0,
    })
    expect(agent({ context_window: 10_000_000, max_output_tokens: 16 }).problems).toEqual([])
    expect(
      agent({
        context_window: 1023,
        max_output_tokens: 15,
        context_strategy: 'forget',
        attachment_turns: -1,
      }).problems,
    ).toEqual([
      "agents[0] (id 'ux-researcher'): context_window must be a whole number from 1024 to 10000000, got 1023",
      "agents[0] (id 'ux-researcher'): max_output_tokens must be a whole number from 16 to 1000000, got 15",
      "agents[0] (id 'ux-researcher'): context_strategy must be compact or truncate, got 'forget'",
      "agents[0] (id 'ux-researcher'): attachment_turns must be a whole number from 0 to 1000, got -1",
    ])
    expect(agent({ context_window: 2000, max_output_tokens: 1001 }).problems).toEqual([
      "agents[0] (id 'ux-researcher'): max_output_tokens (1001) must be at most half of context_window (2000)",
    ])
  })

  it('names every bad entry, by index and id', () => {
    const { problems } = parseAgentsDocument(
      {
        agents: [
          { id: 'echo', name: 'Echo', provider: 'echo' },
          { id: 'no-model', name: 'No model', provider: 'openai' },
          { id: 'helper', name: 'Helper', provider: 'anthropic' },
          { id: 'echo', name: 'Echo again', provider: 'echo' },
          { name: 'Nameless', provider: 'echo', modle: 'x' },
          { id: 'bad id!', name: '', provider: 'openai', model: 'm', base_url: 'ftp://x' },
          { id: 'keyless', name: 'Keyless', provider: 'openai', model: 'm', api_key_env: 'NOPE' },
          { id: 'seeing', name: 'Seeing', provider: 'echo', vision: 'yes' },
          'echo',
        ],
      },
      env,
    )
    expect(problems).toEqual([
      "agents[1] (id 'no-model'): model is required",
      "agents[2] (id 'helper'): provider must be echo or openai, got 'anthropic'",
      "agents[3] (id 'echo'): id is already used by agents[0]",
      "agents[4]: unknown field 'modle'",
      'agents[4]: id is required',
      "agents[5] (id 'bad id!'): id must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
      "agents[5] (id 'bad id!'): name must not be empty",
      "agents[5] (id 'bad id!'): base_url must be an http(s) URL, got 'ftp://x'",
      "agents[6] (id 'keyless'): api_key_env names NOPE, which is not set",
      'agents[7] (id \'seeing\'): vision must be true or false, got "yes"',
      'agents[8]: must be a mapping of fields',
    ])
  })

  it('needs a key for openai agents and a list of agents', () => {
    expect(parseAgentsDocument({ agents: [researcher] }, {}).problems).toEqual([
      "agents[0] (id 'ux-researcher'): OPENAI_API_KEY is not set (or name the variable holding the key in api_key_env)",
    ])
    expect(parseAgentsDocument({ agents: [] }, env).problems).toEqual([
      'agents must list at least one agent',
    ])
    expect(parseAgentsDocument([researcher], env).problems).toEqual([
      'must be a mapping with a list `agents`',
    ])
    expect(parseAgentsDocument({ agents: [researcher], extra: 1 }, env).problems).toEqual([
      "unknown top-level field 'extra' (only 'agents')",
    ])
  })

  it('reports a file that cannot be read or parsed, naming the file', async () => {
    const missing = join(dir, 'missing.yaml')
    expect(() => loadAgentsFile(missing, env)).toThrow(
      new RegExp(`^Invalid agents file ${missing}:\\n  - cannot be read`),
    )
    const broken = join(dir, 'broken.yaml')
    await writeFile(broken, 'agents: [\n')
    expect(() => loadAgentsFile(broken, env)).toThrow(/is neither YAML nor JSON/)
  })

  it('stops bootServer before it opens the store, as a ConfigError', async () => {
    const file = join(dir, 'agents.yaml')
    await writeFile(file, 'agents:\n  - id: helper\n    name: Helper\n    provider: gpt\n')
    const dataDir = join(dir, 'data')
    const boot = bootServer({ ...defaultConfig, dataDir, agentsFile: file }, logger)
    await expect(boot).rejects.toBeInstanceOf(AgentsFileError)
    await expect(boot).rejects.toBeInstanceOf(ConfigError)
    await expect(boot).rejects.toThrow(
      "agents[0] (id 'helper'): provider must be echo or openai, got 'gpt'",
    )
    expect(existsSync(dataDir) ? await readdir(dataDir) : []).toEqual([])
  })

  it('ships a default file with the echo agent, found next to the package', async () => {
    expect(defaultAgentsFile).toBe(join(import.meta.dirname, '..', 'agents.yaml'))
    const server = await bootServer(
      { ...defaultConfig, dataDir: join(dir, 'data'), shutdownTimeoutMs: 0 },
      logger,
      undefined,
      {},
    )
    const { agents } = (await (await server.app.request('/agents')).json()) as GetAgentsResponse
    expect(agents.map((agent) => agent.id)).toEqual(['echo'])
    await server.close()
  })
})

describe('GET /agents and GET /agents/{agent_id}', () => {
  it('lists the agents in order and gets one by id', async () => {
    const { app } = await createTestApp({
      agents: createAgents(
        parseAgentsDocument({ agents: [researcher] }, env).definitions,
        defaultConfig,
        logger,
      ),
    })
    const list = await app.request('/agents')
    expect(list.status).toBe(200)
    const expected: Agent = {
      id: 'ux-researcher',
      name: 'UX Researcher',
      assistant_id: 'gpt-4o-mini',
      assistant_nickname: 'UX Researcher',
      welcome_message: 'Tell me about your users.',
      user_initial_message: 'Plan a user interview',
      icon: '🔎',
      visibility_requirements: [],
    }
    expect(await list.json()).toEqual({ agents: [expected] })
    const one = await app.request('/agents/ux-researcher')
    expect(one.status).toBe(200)
    expect(await one.json()).toEqual(expected)
  })

  it('answers 404 for an unknown agent and 422 for an id over 128 characters', async () => {
    const { app } = await createTestApp()
    const missing = await app.request('/agents/nobody')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: 'Agent not found' })
    const long = await app.request(`/agents/${'a'.repeat(129)}`)
    expect(long.status).toBe(422)
    expect(((await long.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe(
      'string_too_long',
    )
  })
})

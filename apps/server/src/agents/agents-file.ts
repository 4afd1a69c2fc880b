/**
 * The agents file: which agents the server offers, read and checked once at start. Every problem
 * is reported at once, each naming the entry it is about, so a typo is found without guessing.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { ConfigError } from '../config/load-config.ts'

export type ProviderName = 'echo' | 'openai'

/** What an agent on a model does with a conversation longer than its model's window. */
export type ContextStrategy = 'compact' | 'truncate'

/** How much of a conversation an agent on a model sends it (see `context-window.ts`). */
export interface ContextSettings {
  /** The model's context window, in tokens. */
  contextWindow: number
  /** The most tokens a reply may take; the input gets the rest of the window. */
  maxOutputTokens: number
  strategy: ContextStrategy
  /** Files are sent (inlined, or as images) in the turn that attached them and this many after. */
  attachmentTurns: number
}

/** The agents file's defaults: a window every current model has, small local ones included. */
export const DEFAULT_CONTEXT: ContextSettings = {
  contextWindow: 8192,
  maxOutputTokens: 1024,
  strategy: 'compact',
  attachmentTurns: 2,
}

/** One agent of the agents file, checked, with its provider settings resolved. */
export interface AgentDefinition {
  id: string
  name: string
  provider: ProviderName
  /** The provider's model; for `echo`, optional and only shown as `assistant_id`. */
  model: string | undefined
  /** The system prompt. */
  instructions: string
  welcomeMessage: string
  userInitialMessage: string
  icon: string
  /** Whether images are sent to the model as images (vision models); else they are only named. */
  vision: boolean
  /** `openai` only: where the OpenAI-compatible API is; `undefined` is api.openai.com. */
  baseUrl: string | undefined
  /** `openai` only: the key, read from `api_key_env` or `OPENAI_API_KEY`. */
  apiKey: string | undefined
  /** `openai` only: how much of a long conversation goes to the model. */
  context: ContextSettings
}

/** A bad agents file: `problems` lists each, e.g. `agents[2] (id 'helper'): ...`. */
export class AgentsFileError extends ConfigError {
  constructor(
    readonly file: string,
    problems: string[],
  ) {
    super(problems)
    this.name = 'AgentsFileError'
    this.message = `Invalid agents file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`
  }
}

const PROVIDERS: readonly ProviderName[] = ['echo', 'openai']
const FIELDS = new Set([
  'id',
  'name',
  'provider',
  'model',
  'instructions',
  'welcome_message',
  'user_initial_message',
  'icon',
  'vision',
  'base_url',
  'api_key_env',
  'context_window',
  'max_output_tokens',
  'context_strategy',
  'attachment_turns',
])
const STRATEGIES: readonly ContextStrategy[] = ['compact', 'truncate']
// Used in URLs (`/agents/{agent_id}`) and forms: plain characters only.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

type Env = Record<string, string | undefined>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/**
 * Reads and checks an agents file (YAML, or JSON, which YAML reads too). `env` supplies
 * `OPENAI_BASE_URL`, `OPENAI_API_KEY` and the variables that entries name in `api_key_env`.
 * Throws {@link AgentsFileError} listing every problem.
 *
 * @example
 * ```ts
 * const definitions = loadAgentsFile('./agents.yaml', process.env)
 * definitions.map((agent) => agent.id) // ['echo', 'ux-researcher']
 * ```
 */
export function loadAgentsFile(file: string, env: Env): AgentDefinition[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new AgentsFileError(file, [`cannot be read (set AGENTS_FILE to another file): ${reason}`])
  }
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new AgentsFileError(file, [`is neither YAML nor JSON: ${reason}`])
  }
  const { definitions, problems } = parseAgentsDocument(document, env)
  if (problems.length > 0) throw new AgentsFileError(file, problems)
  return definitions
}

/**
 * Checks a parsed agents document; returns the definitions and every problem found.
 *
 * @example
 * ```ts
 * const { problems } = parseAgentsDocument({ agents: [{ id: 'x', name: 'X', provider: 'gpt' }] }, {})
 * problems[0] // "agents[0] (id 'x'): provider must be echo or openai, got 'gpt'"
 * ```
 */
export function parseAgentsDocument(
  document: unknown,
  env: Env,
): { definitions: AgentDefinition[]; problems: string[] } {
  const problems: string[] = []
  if (!isRecord(document) || !Array.isArray(document.agents)) {
    return { definitions: [], problems: ['must be a mapping with a list `agents`'] }
  }
  for (const key of Object.keys(document)) {
    if (key !== 'agents') problems.push(`unknown top-level field '${key}' (only 'agents')`)
  }
  if (document.agents.length === 0) problems.push('agents must list at least one agent')

  const firstIndexOf = new Map<string, number>()
  const definitions: AgentDefinition[] = []
  document.agents.forEach((entry, index) => {
    const label = (id: unknown) =>
      typeof id === 'string' && id !== '' ? `agents[${index}] (id '${id}')` : `agents[${index}]`
    if (!isRecord(entry)) {
      problems.push(`${label(undefined)}: must be a mapping of fields`)
      return
    }
    const where = label(entry.id)
    const before = problems.length
    const problem = (message: string) => problems.push(`${where}: ${message}`)

    for (const key of Object.keys(entry)) {
      if (!FIELDS.has(key)) problem(`unknown field '${key}'`)
    }
    const text = (key: string, required: boolean): string | undefined => {
      const value = entry[key]
      if (value === undefined || value === null) {
        if (required) problem(`${key} is required`)
        return undefined
      }
      if (typeof value !== 'string') {
        problem(`${key} must be text, got ${JSON.stringify(value)}`)
        return undefined
      }
      if (required && value.trim() === '') problem(`${key} must not be empty`)
      return value
    }

    const id = text('id', true)
    if (id !== undefined && id.trim() !== '') {
      if (!ID_PATTERN.test(id))
        problem(
          'id must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
        )
      const first = firstIndexOf.get(id)
      if (first !== undefined) problem(`id is already used by agents[${first}]`)
      else firstIndexOf.set(id, index)
    }
    const name = text('name', true)
    const provider = text('provider', true)
    if (provider !== undefined && !PROVIDERS.includes(provider as ProviderName))
      problem(`provider must be echo or openai, got '${provider}'`)
    const model = text('model', provider === 'openai')
    const instructions = text('instructions', false) ?? ''
    const welcomeMessage = text('welcome_message', false) ?? ''
    const userInitialMessage = text('user_initial_message', false) ?? ''
    const icon = text('icon', false) ?? ''
    const vision = entry.vision ?? true
    if (typeof vision !== 'boolean')
      problem(`vision must be true or false, got ${JSON.stringify(vision)}`)

    const integer = (key: string, fallback: number, min: number, max: number): number => {
      const value = entry[key] ?? fallback
      if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
        problem(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
        return fallback
      }
      return value as number
    }
    const context: ContextSettings = {
      contextWindow: integer('context_window', DEFAULT_CONTEXT.contextWindow, 1024, 10_000_000),
      maxOutputTokens: integer('max_output_tokens', DEFAULT_CONTEXT.maxOutputTokens, 16, 1_000_000),
      strategy: DEFAULT_CONTEXT.strategy,
      attachmentTurns: integer('attachment_turns', DEFAULT_CONTEXT.attachmentTurns, 0, 1000),
    }
    const strategy = text('context_strategy', false)
    if (strategy !== undefined) {
      if (STRATEGIES.includes(strategy as ContextStrategy))
        context.strategy = strategy as ContextStrategy
      else problem(`context_strategy must be compact or truncate, got '${strategy}'`)
    }
    // At least half the window for the conversation: instructions, the latest message, history.
    if (context.maxOutputTokens > context.contextWindow / 2)
      problem(
        `max_output_tokens (${context.maxOutputTokens}) must be at most half of context_window (${context.contextWindow})`,
      )

    let baseUrl = text('base_url', false)
    if (baseUrl !== undefined && !isHttpUrl(baseUrl))
      problem(`base_url must be an http(s) URL, got '${baseUrl}'`)
    const apiKeyEnv = text('api_key_env', false)
    if (apiKeyEnv !== undefined && !ENV_NAME_PATTERN.test(apiKeyEnv))
      problem(`api_key_env must name an environment variable, got '${apiKeyEnv}'`)

    let apiKey: string | undefined
    if (provider === 'openai') {
      if (baseUrl === undefined) {
        baseUrl = env.OPENAI_BASE_URL?.trim() || undefined
        if (baseUrl !== undefined && !isHttpUrl(baseUrl))
          problem(`OPENAI_BASE_URL must be an http(s) URL, got '${baseUrl}'`)
      }
      if (apiKeyEnv !== undefined) {
        apiKey = env[apiKeyEnv]?.trim() || undefined
        if (apiKey === undefined && ENV_NAME_PATTERN.test(apiKeyEnv))
          problem(`api_key_env names ${apiKeyEnv}, which is not set`)
      } else {
        apiKey = env.OPENAI_API_KEY?.trim() || undefined
        if (apiKey === undefined)
          problem('OPENAI_API_KEY is not set (or name the variable holding the key in api_key_env)')
      }
    }

    if (problems.length > before) return
    definitions.push({
      id: id as string,
      name: name as string,
      provider: provider as ProviderName,
      model,
      instructions,
      welcomeMessage,
      userInitialMessage,
      icon,
      vision: vision as boolean,
      baseUrl: provider === 'openai' ? baseUrl : undefined,
      apiKey,
      context,
    })
  })
  return { definitions, problems }
}

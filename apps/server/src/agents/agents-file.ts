/**
 * The agents file: which agents the server offers, read and checked once at start. Every problem
 * is reported at once, each naming the entry it is about, so a typo is found without guessing.
 */
import { readFileSync } from 'node:fs'
import type { ErrorObject } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'
import { ConfigError } from '../config/load-config.ts'
import { agentSchema, agentsFileSchema, ENV_NAME_PATTERN } from './agents-file-schema.ts'

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

type Env = Record<string, string | undefined>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default
const validateFile = (() => {
  const ajv = new Ajv2020({ allErrors: true })
  addFormats(ajv)
  return ajv.compile(agentsFileSchema)
})()

/** What a field's value must be, for its problem's message. */
const EXPECTED: Record<string, string> = {
  id: 'must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
  name: 'must not be empty',
  model: 'must not be empty',
  base_url: 'must be an http(s) URL',
  api_key_env: 'must name an environment variable',
}

/** A field's problem in words, from Ajv's error about it. */
function fieldProblem(field: string, error: ErrorObject, value: unknown): string {
  const got = `, got ${typeof value === 'string' ? `'${value}'` : JSON.stringify(value)}`
  const schema = agentSchema.properties[field as keyof typeof agentSchema.properties]
  if ('enum' in schema) return `${field} must be ${schema.enum.join(' or ')}${got}`
  if ('minimum' in schema)
    return `${field} must be a whole number from ${schema.minimum} to ${schema.maximum}${got}`
  if (error.keyword === 'type')
    return `${field} must be ${schema.type === 'boolean' ? 'true or false' : 'text'}, got ${JSON.stringify(value)}`
  const expected = EXPECTED[field] ?? 'is not valid'
  return field === 'id' || field === 'name' || field === 'model'
    ? `${field} ${expected}`
    : `${field} ${expected}${got}`
}

/**
 * The schema's problems in words, by the entry they are about (`undefined`: the file's own):
 * unknown fields first, then the fields in the schema's order, each once.
 */
function schemaProblems(document: unknown): Map<number | undefined, string[]> {
  const found = new Map<number | undefined, string[]>()
  if (validateFile(document)) return found
  const add = (index: number | undefined, problem: string, first = false) => {
    const list = found.get(index) ?? []
    if (!list.includes(problem)) first ? list.unshift(problem) : list.push(problem)
    found.set(index, list)
  }
  const entries = isRecord(document) && Array.isArray(document.agents) ? document.agents : []
  for (const error of validateFile.errors ?? []) {
    const [, agents, rawIndex, field] = error.instancePath.split('/')
    if (agents === undefined || (agents === 'agents' && rawIndex === undefined)) {
      if (error.keyword === 'additionalProperties')
        add(
          undefined,
          `unknown top-level field '${error.params.additionalProperty}' (only 'agents')`,
        )
      else if (error.keyword === 'minItems') add(undefined, 'agents must list at least one agent')
      else add(undefined, 'must be a mapping with a list `agents`')
      continue
    }
    const index = Number(rawIndex)
    const entry: unknown = entries[index]
    if (error.keyword === 'if') continue
    if (field !== undefined && isRecord(entry)) add(index, fieldProblem(field, error, entry[field]))
    else if (error.keyword === 'required') add(index, `${error.params.missingProperty} is required`)
    else if (error.keyword === 'additionalProperties')
      add(index, `unknown field '${error.params.additionalProperty}'`, true)
    else add(index, 'must be a mapping of fields')
  }
  return found
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
  const found = schemaProblems(document)
  const problems = [...(found.get(undefined) ?? [])]
  if (!isRecord(document) || !Array.isArray(document.agents)) return { definitions: [], problems }

  const firstIndexOf = new Map<string, number>()
  const definitions: AgentDefinition[] = []
  document.agents.forEach((entry: unknown, index) => {
    const id = isRecord(entry) && typeof entry.id === 'string' && entry.id !== '' ? entry.id : ''
    const where = id ? `agents[${index}] (id '${id}')` : `agents[${index}]`
    const problem = (message: string) => problems.push(`${where}: ${message}`)
    for (const message of found.get(index) ?? []) problem(message)
    if (!isRecord(entry)) return
    // What the schema cannot see: ids used twice, the environment, the window's shares.
    const first = id ? firstIndexOf.get(id) : undefined
    if (first !== undefined) problem(`id is already used by agents[${first}]`)
    else if (id) firstIndexOf.set(id, index)
    const fields = entry as unknown as AgentsFileEntry
    const context: ContextSettings = {
      contextWindow: fields.context_window ?? DEFAULT_CONTEXT.contextWindow,
      maxOutputTokens: fields.max_output_tokens ?? DEFAULT_CONTEXT.maxOutputTokens,
      strategy: fields.context_strategy ?? DEFAULT_CONTEXT.strategy,
      attachmentTurns: fields.attachment_turns ?? DEFAULT_CONTEXT.attachmentTurns,
    }
    // At least half the window for the conversation: instructions, the latest message, history.
    if (context.maxOutputTokens > context.contextWindow / 2)
      problem(
        `max_output_tokens (${context.maxOutputTokens}) must be at most half of context_window (${context.contextWindow})`,
      )
    let baseUrl = fields.base_url
    let apiKey: string | undefined
    if (fields.provider === 'openai') {
      if (baseUrl === undefined) {
        baseUrl = env.OPENAI_BASE_URL?.trim() || undefined
        if (baseUrl !== undefined && !/^https?:\/\/./.test(baseUrl))
          problem(`OPENAI_BASE_URL must be an http(s) URL, got '${baseUrl}'`)
      }
      const keyEnv = fields.api_key_env
      if (keyEnv !== undefined) {
        apiKey = env[keyEnv]?.trim() || undefined
        if (apiKey === undefined && new RegExp(ENV_NAME_PATTERN).test(keyEnv))
          problem(`api_key_env names ${keyEnv}, which is not set`)
      } else {
        apiKey = env.OPENAI_API_KEY?.trim() || undefined
        if (apiKey === undefined)
          problem('OPENAI_API_KEY is not set (or name the variable holding the key in api_key_env)')
      }
    }
    if (problems.some((line) => line.startsWith(`${where}: `))) return
    definitions.push({
      id,
      name: fields.name,
      provider: fields.provider,
      model: fields.model,
      instructions: fields.instructions ?? '',
      welcomeMessage: fields.welcome_message ?? '',
      userInitialMessage: fields.user_initial_message ?? '',
      icon: fields.icon ?? '',
      vision: fields.vision ?? true,
      baseUrl: fields.provider === 'openai' ? baseUrl : undefined,
      apiKey,
      context,
    })
  })
  return { definitions, problems }
}

/** An entry that the schema accepted. */
interface AgentsFileEntry {
  id: string
  name: string
  provider: ProviderName
  model?: string
  instructions?: string
  welcome_message?: string
  user_initial_message?: string
  icon?: string
  vision?: boolean
  base_url?: string
  api_key_env?: string
  context_window?: number
  max_output_tokens?: number
  context_strategy?: ContextStrategy
  attachment_turns?: number
}

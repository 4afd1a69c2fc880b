/**
 * The shape of the agents file, as a JSON Schema (draft 2020-12) checked with Ajv. What a schema
 * cannot say (environment variables, ids used twice, max_output_tokens against context_window)
 * is checked by hand in `agents-file.ts`.
 */

/** Used in URLs (`/agents/{agent_id}`) and forms: plain characters only. */
export const AGENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$'

const text = { type: 'string' }
const wholeNumber = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum })

/** One entry of `agents`, field by field in the order problems are reported. */
export const agentSchema = {
  type: 'object',
  required: ['id', 'name', 'provider'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: AGENT_ID_PATTERN },
    // Not blank: the name is shown to users.
    name: { type: 'string', pattern: '\\S' },
    provider: { enum: ['echo', 'openai'] },
    model: { type: 'string', pattern: '\\S' },
    instructions: text,
    welcome_message: text,
    user_initial_message: text,
    icon: text,
    vision: { type: 'boolean' },
    base_url: { type: 'string', format: 'uri', pattern: '^https?://' },
    api_key_env: { type: 'string', pattern: ENV_NAME_PATTERN },
    context_window: wholeNumber(1024, 10_000_000),
    max_output_tokens: wholeNumber(16, 1_000_000),
    context_strategy: { enum: ['compact', 'truncate'] },
    attachment_turns: wholeNumber(0, 1000),
  },
  // A model answers an `openai` agent.
  if: { properties: { provider: { const: 'openai' } }, required: ['provider'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
  then: { required: ['model'] },
} as const

export const agentsFileSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['agents'],
  additionalProperties: false,
  properties: { agents: { type: 'array', minItems: 1, items: agentSchema } },
} as const

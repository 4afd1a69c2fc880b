import type { Agent as AgentProfile } from '@uxmate/contract'
import type OpenAI from 'openai'
import type { ServerConfig } from '../config/config.ts'
import type { Agent } from '../domain/agent.ts'
import type { Logger } from '../domain/logger.ts'
import type { AgentDefinition } from './agents-file.ts'
import { createEchoAgent } from './echo-agent.ts'
import { createOpenAiAgent, createOpenAiClient } from './openai-agent.ts'

export type AgentSettings = Pick<
  ServerConfig,
  | 'echoDelayMs'
  | 'agentRequestTimeoutMs'
  | 'agentMaxRetries'
  | 'agentInlineFileBytes'
  | 'agentImageBytes'
>

/**
 * An agent's public profile from its definition, in the original service's field names: the
 * model (or the id) is `assistant_id`, the name is also the nickname.
 *
 * @example
 * ```ts
 * toProfile(definition).assistant_id // 'gpt-4o-mini'
 * ```
 */
export function toProfile(definition: AgentDefinition): AgentProfile {
  return {
    id: definition.id,
    name: definition.name,
    assistant_id: definition.model ?? definition.id,
    assistant_nickname: definition.name,
    welcome_message: definition.welcomeMessage,
    user_initial_message: definition.userInitialMessage,
    icon: definition.icon,
    visibility_requirements: [],
  }
}

/**
 * The agents of an agents file, ready to answer. Agents on the same provider (URL and key)
 * share one SDK client, and so its connection pool.
 *
 * @example
 * ```ts
 * const agents = createAgentRegistry(createAgents(loadAgentsFile(config.agentsFile, process.env), config, logger))
 * ```
 */
export function createAgents(
  definitions: AgentDefinition[],
  settings: AgentSettings,
  logger: Logger,
): Agent[] {
  const clients = new Map<string, OpenAI>()
  const clientFor = (baseUrl: string | undefined, apiKey: string) => {
    const key = JSON.stringify([baseUrl, apiKey])
    let client = clients.get(key)
    if (!client) {
      client = createOpenAiClient({
        baseUrl,
        apiKey,
        timeoutMs: settings.agentRequestTimeoutMs,
        maxRetries: settings.agentMaxRetries,
        logger,
      })
      clients.set(key, client)
    }
    return client
  }

  return definitions.map((definition) => {
    const profile = toProfile(definition)
    if (definition.provider === 'echo')
      return createEchoAgent({ delayMs: settings.echoDelayMs, profile })
    if (definition.model === undefined || definition.apiKey === undefined)
      throw new Error(`Agent '${definition.id}' was not checked by loadAgentsFile`)
    return createOpenAiAgent({
      profile,
      client: clientFor(definition.baseUrl, definition.apiKey),
      model: definition.model,
      instructions: definition.instructions,
      vision: definition.vision,
      inlineFileBytes: settings.agentInlineFileBytes,
      imageBytes: settings.agentImageBytes,
      idleTimeoutMs: settings.agentRequestTimeoutMs,
      context: definition.context,
      logger,
    })
  })
}

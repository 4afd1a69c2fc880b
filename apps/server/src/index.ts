export {
  type AgentDefinition,
  AgentsFileError,
  loadAgentsFile,
  parseAgentsDocument,
} from './agents/agents-file.ts'
export { createAgents, toProfile } from './agents/create-agents.ts'
export { createEchoAgent } from './agents/echo-agent.ts'
export { createOpenAiAgent, createOpenAiClient } from './agents/openai-agent.ts'
export {
  type AppDependencies,
  type BootedServer,
  bootServer,
  createSessionsApp,
  type SessionsApp,
  sqlitePath,
} from './boot.ts'
export {
  type BodyLimits,
  defaultAgentsFile,
  defaultConfig,
  type ServerConfig,
} from './config/config.ts'
export { ConfigError, loadConfig } from './config/load-config.ts'
export type { Agent, ConversationTurn, ReplyContext, TitleInput } from './domain/agent.ts'
export { type AgentRegistry, createAgentRegistry } from './domain/agent-registry.ts'
export type { Clock } from './domain/clock.ts'
export {
  type AfterWrite,
  IdempotencyKeyTaken,
  type IdempotencyStore,
  type KeyClaim,
  type KeyCommit,
  type KeyedRequest,
  type KeyLookup,
  type KeyOutcome,
  type StoredAnswer,
} from './domain/idempotency-store.ts'
export type { Logger } from './domain/logger.ts'
export {
  createInMemoryRunEvents,
  type RunEvent,
  type RunEvents,
  type RunLog,
  type RunSubscriber,
  type RunSubscription,
} from './domain/run-events.ts'
export { ANONYMOUS_OWNER, type RunClaim, type SessionStore } from './domain/session-store.ts'
export { listen } from './http/node-server.ts'
export {
  type ApiKeyEntry,
  type ApiKeyLookup,
  hashApiKey,
  loadApiKeys,
  newApiKey,
} from './http/security/api-keys.ts'
export { createJsonLogger } from './logger.ts'
export { type OpenedStorage, openStorage } from './storage/open-store.ts'
export {
  createPostgresRunEvents,
  type PostgresRunEvents,
} from './storage/postgres/pg-run-events.ts'
export { openPostgresStore, type PostgresStore } from './storage/postgres/postgres-store.ts'
export { openSqliteStore } from './storage/sqlite/sqlite-store.ts'

export type { Agent, ConversationTurn, ReplyContext, TitleInput } from './agents/agent.ts'
export { type AgentRegistry, createAgentRegistry } from './agents/agent-registry.ts'
export {
  type AgentDefinition,
  AgentsFileError,
  loadAgentsFile,
  parseAgentsDocument,
} from './agents/agents-file.ts'
export { createAgents, toProfile } from './agents/create-agents.ts'
export { createEchoAgent } from './agents/echo-agent.ts'
export { createOpenAiAgent, createOpenAiClient } from './agents/openai-agent.ts'
export { type BootedServer, bootServer, sqlitePath } from './boot.ts'
export {
  type BodyLimits,
  defaultAgentsFile,
  defaultConfig,
  type ServerConfig,
} from './config.ts'
export type { Clock } from './domain/clock.ts'
export {
  createInMemoryRunEvents,
  type RunEvent,
  type RunEvents,
  type RunLog,
  type RunSubscriber,
  type RunSubscription,
} from './domain/run-events.ts'
export { type AppDependencies, createSessionsApp, type SessionsApp } from './http/create-app.ts'
export { listen } from './http/node-server.ts'
export {
  type ApiKeyEntry,
  type ApiKeyLookup,
  hashApiKey,
  loadApiKeys,
  newApiKey,
} from './http/security/api-keys.ts'
export { ConfigError, loadConfig } from './load-config.ts'
export { createJsonLogger, type Logger } from './logger.ts'
export type {
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyStore,
  StoredAnswer,
} from './storage/idempotency-store.ts'
export { type OpenedStorage, openStorage } from './storage/open-store.ts'
export {
  createPostgresRunEvents,
  type PostgresRunEvents,
} from './storage/postgres/pg-run-events.ts'
export { openPostgresStore, type PostgresStore } from './storage/postgres/postgres-store.ts'
export { ANONYMOUS_OWNER, type RunClaim, type SessionStore } from './storage/session-store.ts'
export { openSqliteStore } from './storage/sqlite/sqlite-store.ts'

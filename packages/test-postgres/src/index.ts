export { databaseUrl } from './database-url.ts'
export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './start-embedded-postgres.ts'

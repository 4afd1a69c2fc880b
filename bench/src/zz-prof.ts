// scratch: seed a store for profiling
import Database from 'better-sqlite3'
import { migrations } from '../../apps/server/src/storage/sqlite/migrations.ts'
import { seedStore } from './seed/seed-store.ts'

const path = process.argv[2] as string
const db0 = new Database(path)
db0.exec(
  `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
)
for (const m of migrations) {
  db0.exec(m.sql)
  db0.prepare('INSERT INTO schema_migrations VALUES (?,?,?)').run(m.version, m.name, Date.now())
}
db0.close()
console.log(
  seedStore(path, {
    from: 0,
    to: Number(process.argv[3] ?? 10000),
    newest: Date.now() - 60000,
    withTenMessageSession: true,
  }),
)

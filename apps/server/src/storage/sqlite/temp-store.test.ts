import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { keepTempInMemory, withTempFiles } from './temp-store.ts'

// PRAGMA temp_store: 1 is FILE, 2 is MEMORY.
const tempStore = (sqlite: Database.Database) => sqlite.pragma('temp_store', { simple: true })

describe('the SQLite connection temporary data', () => {
  it('is kept in memory, and in files only while the work given runs', async () => {
    const sqlite = new Database(':memory:')
    keepTempInMemory(sqlite)
    expect(tempStore(sqlite)).toBe(2)
    const during = await withTempFiles(sqlite, async () => tempStore(sqlite))
    expect(during).toBe(1)
    expect(tempStore(sqlite)).toBe(2)
    sqlite.close()
  })

  it('is in memory again after work that fails', async () => {
    const sqlite = new Database(':memory:')
    keepTempInMemory(sqlite)
    const failed = withTempFiles(sqlite, async () => {
      throw new Error('migration failed')
    })
    await expect(failed).rejects.toThrow('migration failed')
    expect(tempStore(sqlite)).toBe(2)
    sqlite.close()
  })
})

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { databaseUrl, startEmbeddedPostgres } from '../src/index.ts'

async function query(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql)).rows[0] ?? {}
  } finally {
    await client.end()
  }
}

/** Whether anything accepts connections at `url` now. */
async function answers(url: string): Promise<boolean> {
  try {
    await query(url, 'SELECT 1')
    return true
  } catch {
    return false
  }
}

/** Polls `condition` until it holds, for at most 20 s: the postmaster ends asynchronously. */
async function eventually(condition: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

/** Runs the fixture process, resolving with the server it started once it has printed it. */
function startFixture(mode: 'exit' | 'wait') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/started-server.ts'), mode],
    { cwd: dirname(import.meta.dirname), stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const started = new Promise<{ adminUrl: string; dataDir: string }>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('\n')) resolve(JSON.parse(output))
    })
    child.once('exit', (code) => reject(new Error(`the fixture exited (${code}) before starting`)))
  })
  return { child, started, exited }
}

describe('startEmbeddedPostgres', () => {
  it('runs with the given settings over the defaults, makes databases, and is gone once stopped', async () => {
    const postgres = await startEmbeddedPostgres({ settings: { work_mem: '7MB' } })
    let dataDir: string
    try {
      expect(await query(postgres.adminUrl, 'SHOW work_mem')).toEqual({ work_mem: '7MB' })
      expect(await query(postgres.adminUrl, 'SHOW fsync')).toEqual({ fsync: 'off' })
      dataDir = String((await query(postgres.adminUrl, 'SHOW data_directory')).data_directory)
      const url = await postgres.createDatabase('uxmate')
      expect(url).toBe(databaseUrl(postgres.adminUrl, 'uxmate'))
      expect(await query(url, 'SELECT current_database() AS name')).toEqual({ name: 'uxmate' })
    } finally {
      await postgres.stop()
    }
    expect(await answers(postgres.adminUrl)).toBe(false)
    expect(existsSync(dirname(dataDir))).toBe(false)
    // A second stop() has nothing left to do.
    await postgres.stop()
  })

  it('ends the server and deletes its files when the process exits without stop()', async () => {
    const fixture = startFixture('exit')
    const { adminUrl, dataDir } = await fixture.started
    await fixture.exited
    expect(existsSync(dirname(dataDir))).toBe(false)
    expect(await eventually(async () => !(await answers(adminUrl)))).toBe(true)
  })

  it('ends the server and deletes its files on Ctrl-C', async () => {
    const fixture = startFixture('wait')
    const { adminUrl, dataDir } = await fixture.started
    expect(await answers(adminUrl)).toBe(true)
    fixture.child.kill('SIGINT')
    await fixture.exited
    expect(existsSync(dirname(dataDir))).toBe(false)
    expect(await answers(adminUrl)).toBe(false)
  })
})

describe('databaseUrl', () => {
  it('replaces the database only', () => {
    expect(databaseUrl('postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable', 'x_1')).toBe(
      'postgres://u:p@127.0.0.1:5433/x_1?sslmode=disable',
    )
  })
})

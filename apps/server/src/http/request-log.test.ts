import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { LogLevel } from '../config/config.ts'
import { createJsonLogger } from '../logger.ts'
import type { AppEnv } from './app-env.ts'
import { pipeline } from './pipeline.ts'
import { requestLog } from './request-log.ts'

/** An app logging its requests at `level`, answering `/fails` with a 500, and the lines. */
function setup(level: LogLevel) {
  const lines: Record<string, unknown>[] = []
  const log = requestLog(createJsonLogger(level, (line) => lines.push(JSON.parse(line))))
  const app = new Hono<AppEnv>()
    .get(
      '/ok',
      pipeline([log], (c) => c.text('ok')),
    )
    .get(
      '/fails',
      pipeline([log], (c) => c.json({ detail: 'Internal Server Error' }, 500)),
    )
  return { app, lines }
}

describe('requestLog', () => {
  it('writes a line a request at info, with its outcome', async () => {
    const { app, lines } = setup('info')
    await app.request('/ok')
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        method: 'GET',
        path: '/ok',
        status: 200,
      }),
    ])
  })

  it('writes only the failures at warn', async () => {
    const { app, lines } = setup('warn')
    await app.request('/ok')
    await app.request('/fails')
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'request', path: '/fails', status: 500 }),
    ])
  })
})

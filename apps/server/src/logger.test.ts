import { describe, expect, it } from 'vitest'
import { createJsonLogger } from './logger.ts'

function capture(level: Parameters<typeof createJsonLogger>[0] = 'debug') {
  const lines: string[] = []
  const logger = createJsonLogger(level, (line) => lines.push(line))
  return { logger, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

describe('createJsonLogger', () => {
  it('writes one JSON line a call: time, level by name, msg and the fields', () => {
    const { logger, entries } = capture()
    logger.info('listening', { port: 8000, url: 'http://127.0.0.1:8000' })
    const [entry] = entries()
    expect(entry).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      msg: 'listening',
      port: 8000,
      url: 'http://127.0.0.1:8000',
    })
  })

  it('leaves out what is below its level, and everything when silent', () => {
    const warn = capture('warn')
    warn.logger.info('not this')
    warn.logger.error('this', { code: 1 })
    expect(warn.entries().map((entry) => [entry.level, entry.msg])).toEqual([['error', 'this']])
    expect([warn.logger.writes('info'), warn.logger.writes('warn')]).toEqual([false, true])
    const silent = capture('silent')
    silent.logger.error('nothing')
    expect(silent.entries()).toEqual([])
  })

  it('redacts credentials and what users wrote', () => {
    const { logger, entries } = capture()
    logger.warn('request', {
      authorization: 'Bearer secret',
      headers: { authorization: 'Bearer secret', accept: 'json' },
      text_prompt: 'my diary',
      body: { prompt: 'private', messages: ['private'] },
    })
    const line = JSON.stringify(entries())
    expect(line).not.toContain('secret')
    expect(line).not.toContain('diary')
    expect(line).not.toContain('private')
    expect(entries()[0]).toMatchObject({ headers: { accept: 'json' } })
  })
})

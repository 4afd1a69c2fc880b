import { describe, expect, it } from 'vitest'
import { ConfigError } from './config/load-config.ts'
import { checkRuntime } from './runtime-check.ts'

describe('checkRuntime', () => {
  it('passes on this Node, and on one with Node-API 10', () => {
    expect(() => checkRuntime()).not.toThrow()
    expect(() => checkRuntime({ ...process.versions, node: '22.14.0', napi: '10' })).not.toThrow()
  })

  it('refuses a Node without Node-API 10, naming the version needed', () => {
    const old = { ...process.versions, node: '22.12.0', napi: '9' }
    expect(() => checkRuntime(old)).toThrow(ConfigError)
    expect(() => checkRuntime(old)).toThrow(/Node 22\.12\.0 is too old.*Node 22\.14 or later/)
  })
})

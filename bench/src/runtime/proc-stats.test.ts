import { describe, expect, it } from 'vitest'
import { parseProcStatCpu, parseProcStatus, readProcMemory } from './proc-stats.ts'

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t 99999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n'
    expect(parseProcStatus(text)).toEqual({ rss: 1024 * 1024, hwm: 2048 * 1024 })
  })

  it('is undefined when a field is missing', () => {
    expect(parseProcStatus('Name:\tzombie\n')).toBeUndefined()
  })

  it('reads this process on Linux', () => {
    if (process.platform !== 'linux') return
    expect(readProcMemory(process.pid)?.rss).toBeGreaterThan(0)
  })
})

describe('parseProcStatCpu', () => {
  it('adds user and system ticks, counting fields after the command name', () => {
    const stat = '42 (node (worker) x) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0'
    expect(parseProcStatCpu(stat)).toBe(2)
  })
})

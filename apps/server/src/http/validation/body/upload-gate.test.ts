import { describe, expect, it } from 'vitest'
import { UploadGate } from './upload-gate.ts'

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (!promise) return true
  let done = false
  void promise.then(() => {
    done = true
  })
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

async function ticksOf(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('UploadGate', () => {
  it('lets bytes in at once while they fit, and gives them back on close', () => {
    const gate = new UploadGate(100)
    const a = gate.lease()
    const b = gate.lease()
    expect(a.take(60)).toBeUndefined()
    expect(b.take(40)).toBeUndefined()
    expect(gate.usedBytes).toBe(100)
    a.close()
    b.close()
    expect(gate.usedBytes).toBe(0)
  })

  it('holds a request back until another one is done, first come first served', async () => {
    const gate = new UploadGate(100)
    const a = gate.lease()
    const b = gate.lease()
    const c = gate.lease()
    expect(a.take(80)).toBeUndefined()
    const bWaits = b.take(30)
    const cWaits = c.take(10)
    // c would fit, but b came first.
    expect(await settled(bWaits)).toBe(false)
    expect(await settled(cWaits)).toBe(false)
    a.close()
    expect(await settled(bWaits)).toBe(true)
    expect(await settled(cWaits)).toBe(true)
    expect(gate.usedBytes).toBe(40)
  })

  it('lets one request alone through whatever its size', async () => {
    const gate = new UploadGate(10)
    const lease = gate.lease()
    expect(await settled(lease.take(50))).toBe(true)
    expect(await settled(lease.take(50))).toBe(true)
    expect(gate.usedBytes).toBe(100)
  })

  it('lets the first in line go over the budget when every holder waits (no deadlock)', async () => {
    const gate = new UploadGate(100)
    const a = gate.lease()
    const b = gate.lease()
    expect(a.take(50)).toBeUndefined()
    expect(b.take(50)).toBeUndefined()
    const aWaits = a.take(10)
    expect(await settled(aWaits)).toBe(false)
    // b is still reading: it will give its bytes back.
    const bWaits = b.take(10)
    // Now both wait and only they hold bytes: a, first in line, goes on.
    expect(await settled(aWaits)).toBe(true)
    expect(await settled(bWaits)).toBe(false)
    a.close()
    expect(await settled(bWaits)).toBe(true)
    expect(gate.usedBytes).toBe(60)
  })

  it('lets requests already being read go before new ones, and no newcomer in when stuck', async () => {
    const gate = new UploadGate(100)
    const a = gate.lease()
    const b = gate.lease()
    const newcomer = gate.lease()
    expect(a.take(50)).toBeUndefined()
    expect(b.take(40)).toBeUndefined()
    const newcomerWaits = newcomer.take(20)
    const aWaits = a.take(20)
    const bWaits = b.take(5)
    // b's 5 bytes would fit, but a holds bytes too and came first.
    expect(await settled(bWaits)).toBe(false)
    // Every holder waits: a, the first of them, goes on over the budget; not the newcomer.
    expect(await settled(aWaits)).toBe(true)
    expect(await settled(newcomerWaits)).toBe(false)
    a.close()
    expect(await settled(bWaits)).toBe(true)
    expect(await settled(newcomerWaits)).toBe(true)
    expect(gate.usedBytes).toBe(65)
  })

  it('lets one request at a time over the budget, to its end, not every holder in turn', async () => {
    const gate = new UploadGate(100)
    const a = gate.lease()
    const b = gate.lease()
    expect(a.take(40)).toBeUndefined()
    expect(b.take(40)).toBeUndefined()
    const aWaits = a.take(30)
    const bWaits = b.take(30)
    expect(await settled(aWaits)).toBe(true)
    // a goes on alone: its next bytes come at once, b's keep waiting.
    expect(a.take(30)).toBeUndefined()
    expect(a.take(30)).toBeUndefined()
    expect(await settled(bWaits)).toBe(false)
    a.close()
    expect(await settled(bWaits)).toBe(true)
    expect(gate.usedBytes).toBe(70)
  })

  it('stays within the budget plus one request under a busy, shuffled load', async () => {
    const budget = 64 * 100
    const gate = new UploadGate(budget)
    let seed = 42
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    let most = 0
    const request = async () => {
      await ticksOf(Math.floor(random() * 20))
      const lease = gate.lease()
      for (let chunk = 0; chunk < 16; chunk++) {
        await ticksOf(Math.floor(random() * 3))
        const wait = lease.take(64)
        if (wait) await wait
        most = Math.max(most, gate.usedBytes)
      }
      lease.close()
    }
    await Promise.all(Array.from({ length: 60 }, request))
    expect(most).toBeGreaterThan(budget / 2)
    expect(most).toBeLessThanOrEqual(budget + 16 * 64)
    expect(gate.usedBytes).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import { percentile, Samples, summarize } from './percentiles.ts'

describe('percentile', () => {
  it('uses the nearest rank, so the answer is an observed value', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    expect(percentile(sorted, 50)).toBe(50)
    expect(percentile(sorted, 90)).toBe(90)
    expect(percentile(sorted, 99)).toBe(100)
    expect(percentile(sorted, 100)).toBe(100)
    expect(percentile(sorted, 0)).toBe(10)
  })

  it('is NaN for no data', () => {
    expect(percentile([], 50)).toBeNaN()
  })
})

describe('summarize', () => {
  it('sorts a copy and reports the order statistics', () => {
    const values = new Float64Array([5, 1, 4, 2, 3])
    expect(summarize(values)).toEqual({ count: 5, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 })
    expect([...values]).toEqual([5, 1, 4, 2, 3])
  })

  it('p99 of 1000 values 1..1000 is 990', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i)
    expect(summarize(values).p99).toBe(990)
  })
})

describe('Samples', () => {
  it('grows past its first capacity and keeps every value', () => {
    const samples = new Samples()
    for (let i = 0; i < 5000; i++) samples.push(i)
    expect(samples.length).toBe(5000)
    expect(samples.values()[4999]).toBe(4999)
  })
})

import { readFileSync } from 'node:fs'

/** A process's memory as Linux reports it in /proc/<pid>/status, in bytes. */
export interface ProcMemory {
  /** Resident set size now (VmRSS). */
  rss: number
  /** The highest RSS since the process started (VmHWM). */
  hwm: number
}

/**
 * Reads VmRSS and VmHWM from the text of /proc/<pid>/status.
 *
 * @example
 * ```ts
 * parseProcStatus('VmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n') // { rss: 1048576, hwm: 2097152 }
 * ```
 */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)
    return match ? Number(match[1]) * 1024 : undefined
  }
  const rss = kib('VmRSS')
  const hwm = kib('VmHWM')
  return rss === undefined || hwm === undefined ? undefined : { rss, hwm }
}

/** The memory of process `pid` now; undefined once it has exited. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return undefined
  }
}

/** What an {@link RssSampler} saw between start and stop, in bytes. */
export interface RssWindow {
  /** RSS when sampling started. */
  start: number
  /** The highest RSS sampled. */
  peak: number
  /** RSS when sampling stopped. */
  end: number
  /** VmHWM when sampling stopped: catches a peak between two samples. */
  hwm: number
}

/**
 * Samples a process's RSS every `intervalMs` while load runs against it. The peak is the
 * highest sample (VmHWM is kept for the process's whole life, so it cannot tell scenarios
 * apart).
 */
export class RssSampler {
  readonly #pid: number
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #start = 0
  #peak = 0
  #last = 0

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid
    this.#intervalMs = intervalMs
  }

  start(): void {
    const first = readProcMemory(this.#pid)
    this.#start = first?.rss ?? 0
    this.#peak = this.#start
    this.#last = this.#start
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs)
  }

  stop(): RssWindow {
    clearInterval(this.#timer)
    const final = readProcMemory(this.#pid)
    if (final) this.#observe(final.rss)
    return { start: this.#start, peak: this.#peak, end: this.#last, hwm: final?.hwm ?? 0 }
  }

  #sample(): void {
    const memory = readProcMemory(this.#pid)
    if (memory) this.#observe(memory.rss)
  }

  #observe(rss: number): void {
    this.#last = rss
    if (rss > this.#peak) this.#peak = rss
  }
}

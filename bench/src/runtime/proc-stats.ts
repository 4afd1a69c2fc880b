import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on every Linux port). */
const USER_HZ = 100

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

/**
 * CPU seconds (user + system) a process has used, from the text of /proc/<pid>/stat.
 *
 * @example
 * ```ts
 * parseProcStatCpu('42 (node) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0') // 2 (200 ticks)
 * ```
 */
export function parseProcStatCpu(text: string): number | undefined {
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : undefined
}

/** CPU seconds process `pid` has used so far; undefined once it has exited. */
export function readProcCpuSeconds(pid: number): number | undefined {
  try {
    return parseProcStatCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** What an {@link ProcessSampler} saw between start and stop, in bytes. */
export interface ProcessWindow {
  /** RSS when sampling started. */
  start: number
  /** The highest RSS sampled. */
  peak: number
  /** RSS when sampling stopped. */
  end: number
  /** VmHWM when sampling stopped: catches a peak between two samples. */
  hwm: number
  /**
   * CPU seconds the process used between start and stop: unlike throughput, this does not
   * depend on how much of the machine the neighbours left it.
   */
  cpuSeconds: number
}

/**
 * Samples a process's RSS every `intervalMs` while load runs against it, and counts its CPU time. The peak is the
 * highest sample (VmHWM is kept for the process's whole life, so it cannot tell scenarios
 * apart).
 */
export class ProcessSampler {
  readonly #pid: number
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #start = 0
  #peak = 0
  #last = 0
  #cpuAtStart = 0

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid
    this.#intervalMs = intervalMs
  }

  start(): void {
    const first = readProcMemory(this.#pid)
    this.#start = first?.rss ?? 0
    this.#peak = this.#start
    this.#last = this.#start
    this.#cpuAtStart = readProcCpuSeconds(this.#pid) ?? 0
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs)
  }

  stop(): ProcessWindow {
    clearInterval(this.#timer)
    const final = readProcMemory(this.#pid)
    if (final) this.#observe(final.rss)
    const cpu = readProcCpuSeconds(this.#pid)
    return {
      start: this.#start,
      peak: this.#peak,
      end: this.#last,
      hwm: final?.hwm ?? 0,
      cpuSeconds: cpu === undefined ? Number.NaN : cpu - this.#cpuAtStart,
    }
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

/**
 * A budget for the bytes of multipart bodies being read at once, all requests together. A
 * request whose next chunk does not fit waits before reading any further, so that its client
 * is slowed down by TCP's own flow control rather than refused: the answer and its status are
 * what they would have been, only later.
 *
 * The bytes a request has read stay counted until its files are stored (a body without files:
 * until it is parsed; see held-upload.ts), so that the budget bounds the upload bytes in memory,
 * not only those being read. Requests already being read go first (finishing them frees room),
 * then new ones, each in order of arrival. If
 * every request holding bytes is itself waiting, none of them could ever free any: the first of
 * them then goes on over the budget, alone, to its end (so one request alone is never held
 * back, whatever its size).
 */

interface Waiter {
  lease: UploadLease
  bytes: number
  resolve: () => void
}

/**
 * One request's share of an {@link UploadGate}: the bytes it has read so far.
 *
 * @example
 * ```ts
 * const lease = gate.lease()
 * try {
 *   // for each chunk read:
 *   const wait = lease.take(chunk.byteLength)
 *   if (wait) await wait
 * } finally {
 *   lease.close()
 * }
 * ```
 */
export class UploadLease {
  readonly #gate: UploadGate
  /** Bytes counted for this request. */
  held = 0

  constructor(gate: UploadGate) {
    this.#gate = gate
  }

  /**
   * Counts `bytes` more for this request; returns `undefined` when they fit at once, else a
   * promise to await before reading on.
   */
  take(bytes: number): Promise<void> | undefined {
    return this.#gate.take(this, bytes)
  }

  /** Gives back everything this request held, once its bytes are no longer in memory. */
  close(): void {
    this.#gate.close(this)
  }
}

/**
 * Shares `budgetBytes` among the multipart bodies being read.
 *
 * @example
 * ```ts
 * const gate = new UploadGate(32 * 1024 * 1024)
 * const lease = gate.lease()
 * ```
 */
export class UploadGate {
  readonly budgetBytes: number
  #used = 0
  /** Leases holding bytes, and how many of them are waiting. */
  #holders = 0
  #waitingHolders = 0
  readonly #queue: Waiter[] = []
  /** The one request let over the budget, until it is done. */
  #overdraft: UploadLease | undefined

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes
  }

  /** Bytes counted now, all requests together. */
  get usedBytes(): number {
    return this.#used
  }

  /** A new request's share, holding nothing yet. */
  lease(): UploadLease {
    return new UploadLease(this)
  }

  /** @see UploadLease.take */
  take(lease: UploadLease, bytes: number): Promise<void> | undefined {
    if (lease === this.#overdraft || (this.#queue.length === 0 && this.#fits(bytes))) {
      this.#count(lease, bytes)
      return undefined
    }
    return new Promise<void>((resolve) => {
      if (lease.held > 0) this.#waitingHolders += 1
      this.#queue.push({ lease, bytes, resolve })
      this.#admit()
    })
  }

  /** @see UploadLease.close */
  close(lease: UploadLease): void {
    if (lease.held > 0) {
      this.#used -= lease.held
      this.#holders -= 1
      lease.held = 0
    }
    if (lease === this.#overdraft) this.#overdraft = undefined
    this.#admit()
  }

  #fits(bytes: number): boolean {
    return this.#used + bytes <= this.budgetBytes
  }

  #count(lease: UploadLease, bytes: number): void {
    if (lease.held === 0 && bytes > 0) this.#holders += 1
    lease.held += bytes
    this.#used += bytes
  }

  /**
   * Lets waiters in while they fit, or when nobody else could free room: requests already
   * being read first, then new ones; each kind in order of arrival.
   */
  #admit(): void {
    for (;;) {
      const holder = this.#waitingHolders > 0 ? this.#queue.findIndex((w) => w.lease.held > 0) : -1
      const index = Math.max(holder, 0)
      const next = this.#queue[index]
      if (!next) return
      if (this.#fits(next.bytes)) {
        this.#let(index)
        continue
      }
      if (this.#overdraft || this.#waitingHolders < this.#holders) return
      this.#overdraft = next.lease
      this.#let(index)
    }
  }

  #let(index: number): void {
    const [waiter] = this.#queue.splice(index, 1)
    if (!waiter) return
    if (waiter.lease.held > 0) this.#waitingHolders -= 1
    this.#count(waiter.lease, waiter.bytes)
    waiter.resolve()
  }
}

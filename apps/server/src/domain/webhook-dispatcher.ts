import type { Clock } from './clock.ts'
import type { Logger } from './logger.ts'
import type {
  AttemptOutcome,
  ClaimedDelivery,
  SendResult,
  WebhookOutbox,
  WebhookSender,
} from './webhook-outbox.ts'

export interface WebhookDispatcherOptions {
  outbox: WebhookOutbox
  sender: WebhookSender
  clock: Clock
  logger: Logger
  /** This instance, recorded with its claims. */
  instance: string
  /** Most deliveries under way at once. */
  concurrency: number
  /** How long one request may take (the sender enforces it); a claim lasts a little longer. */
  timeoutMs: number
  /** How often the outbox is looked at for deliveries that came due (retries, other instances'). */
  pollMs: number
  /** The pause before the second attempt; it doubles with each attempt after. */
  retryBaseMs: number
  /** The longest pause between two attempts. */
  retryMaxMs: number
  /** How long after its event a delivery is still tried; then it is `failed`. */
  maxAgeMs: number
  /** How long a finished (`delivered` or `failed`) delivery is kept after it finished. */
  retentionMs: number
  /** Most deliveries deleted in one write when pruning ({@link PRUNE_BATCH} unless set). */
  pruneBatch?: number
  /** Random numbers in [0, 1), for the jitter; tests fix them. */
  random?: () => number
}

/** How much longer than a request's timeout its claim lasts: time to record the outcome. */
const CLAIM_MARGIN_MS = 5_000

/** How often finished deliveries past their retention are looked for (and at start). */
export const PRUNE_EVERY_MS = 60_000

/**
 * Most deliveries one prune write deletes: a backlog (a first start after an upgrade, a long
 * stop) goes over many short writes, never holding SQLite's one writer for long.
 */
export const PRUNE_BATCH = 1_000

/**
 * The pause after failed attempt `attempt` (from 1): `base * 2^(attempt-1)`, at most `max`,
 * with "equal jitter" (between half of it and all of it), so that receivers coming back after
 * an outage are not hit by every delivery at the same moment.
 *
 * @example
 * ```ts
 * retryDelay(3, { retryBaseMs: 5_000, retryMaxMs: 3_600_000 }, () => 0.5) // 15_000
 * ```
 */
export function retryDelay(
  attempt: number,
  options: Pick<WebhookDispatcherOptions, 'retryBaseMs' | 'retryMaxMs'>,
  random: () => number = Math.random,
): number {
  const full = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(full / 2 + (random() * full) / 2)
}

/**
 * Delivers the outbox's webhooks in the background, at least once each: claims what is due,
 * sends it through the sender (at most `concurrency` at a time, each within its timeout),
 * records each attempt, and schedules a failed one again with exponential back-off and jitter
 * until `maxAgeMs` after its event. It runs beside the runs, never in their way: a run's end
 * only writes the outbox row, and a slow or dead endpoint holds up nothing but its deliveries.
 * Once a {@link PRUNE_EVERY_MS} (and at start) it deletes the deliveries finished more than
 * `retentionMs` ago, so that the outbox does not grow without bound.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions
  readonly #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  #stopped = true
  /** A look at the outbox under way, and whether another was asked for meanwhile. */
  #looking: Promise<void> | undefined
  #lookAgain = false
  /** A prune under way, and when the next one is due (by the clock). */
  #pruning: Promise<number> | undefined
  #nextPruneAt = Number.NEGATIVE_INFINITY
  /** Set by `stop`: a prune ends after its current batch, not after the whole backlog. */
  #stopping = false

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options
    options.outbox.onEnqueued(() => this.nudge())
  }

  /** Starts polling the outbox; delivers what is due at once. */
  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#stopping = false
    this.#timer = setInterval(() => this.#poll(), this.#options.pollMs)
    this.#timer.unref()
    this.#poll()
  }

  /**
   * Deletes the deliveries that finished more than `retentionMs` ago, with their attempts, a
   * batch per write until a batch comes back short; resolves with how many went. Pending ones
   * are never touched; on PostgreSQL, instances pruning at once skip each other's rows.
   *
   * @example
   * ```ts
   * const deleted = await dispatcher.prune()
   * ```
   */
  prune(): Promise<number> {
    this.#pruning ??= this.#pruneBatches().finally(() => {
      this.#pruning = undefined
    })
    return this.#pruning
  }

  /** Looks at the outbox now (new deliveries were written, or an attempt ended). */
  nudge(): void {
    if (this.#stopped) return
    if (this.#looking) {
      this.#lookAgain = true
      return
    }
    this.#looking = this.#look().finally(() => {
      this.#looking = undefined
      if (this.#lookAgain) {
        this.#lookAgain = false
        this.nudge()
      }
    })
  }

  /**
   * Stops claiming and pruning (a prune's batch under way ends first), and waits up to
   * `graceMs` for the attempts under way; those still going then are left to their claims' end
   * (another instance, or this one after a restart, tries again).
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopped = true
    this.#stopping = true
    clearInterval(this.#timer)
    await this.#looking
    // A failing prune is its caller's to report (the loop's beat logs it), not the stop's.
    await this.#pruning?.catch(() => undefined)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(this.#inFlight),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs)
      }),
    ])
    clearTimeout(timer)
  }

  /** One beat of the loop: a look at the outbox, and a prune when one is due. */
  #poll(): void {
    this.nudge()
    const now = this.#options.clock.now().getTime()
    if (this.#stopped || this.#pruning || now < this.#nextPruneAt) return
    this.#nextPruneAt = now + PRUNE_EVERY_MS
    this.prune().catch((error) => {
      // The database is away for a moment, or closing: the next prune tries again.
      this.#options.logger.warn('could not prune webhook deliveries', { error: String(error) })
    })
  }

  async #pruneBatches(): Promise<number> {
    const { outbox, clock, retentionMs, pruneBatch = PRUNE_BATCH } = this.#options
    let deleted = 0
    for (;;) {
      const before = new Date(clock.now().getTime() - retentionMs)
      const gone = await outbox.pruneFinished({ before, limit: pruneBatch })
      deleted += gone
      // Each batch is a write of its own on the store's write path (SQLite's group commit):
      // the writes that came meanwhile are not held behind the whole backlog.
      if (gone < pruneBatch || this.#stopping) return deleted
    }
  }

  async #look(): Promise<void> {
    const { outbox, clock, logger, concurrency, instance, timeoutMs } = this.#options
    const free = concurrency - this.#inFlight.size
    if (free <= 0) return
    const now = clock.now()
    let claimed: ClaimedDelivery[]
    try {
      claimed = await outbox.claimDue({
        now,
        limit: free,
        instance,
        claimUntil: new Date(now.getTime() + timeoutMs + CLAIM_MARGIN_MS),
      })
    } catch (error) {
      // The database is away for a moment, or closing: the next poll tries again.
      logger.warn('could not claim webhook deliveries', { error: String(error) })
      return
    }
    for (const delivery of claimed) {
      const attempt: Promise<void> = this.#attempt(delivery).finally(() => {
        this.#inFlight.delete(attempt)
        // A slot is free: more may be due (a backlog is worked through without waiting).
        if (claimed.length === free) this.nudge()
      })
      this.#inFlight.add(attempt)
    }
  }

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const { sender, outbox, clock, logger } = this.#options
    const sent = await sender.send({
      endpointId: delivery.endpointId,
      id: delivery.id,
      body: delivery.body,
      timestamp: clock.now(),
    })
    const endedAt = clock.now()
    const outcome = this.#outcome(delivery, sent, endedAt)
    if (outcome.state !== 'delivered')
      logger.warn('webhook delivery failed', {
        delivery_id: delivery.id,
        endpoint_id: delivery.endpointId,
        attempt: delivery.attempt,
        status_code: sent.statusCode,
        error: sent.error,
        next: outcome.state === 'pending' ? outcome.nextAttemptAt.toISOString() : 'given up',
      })
    try {
      await outbox.recordAttempt(delivery, { ...outcome, endedAt })
    } catch (error) {
      // Unrecorded, the claim runs out and the delivery is tried again: at least once.
      logger.warn('could not record a webhook attempt', {
        delivery_id: delivery.id,
        error: String(error),
      })
    }
  }

  #outcome(delivery: ClaimedDelivery, sent: SendResult, now: Date): AttemptOutcome {
    const { statusCode, error } = sent
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300)
      return { state: 'delivered', statusCode }
    const failure = {
      ...(statusCode !== undefined && { statusCode }),
      ...(error !== undefined && { error }),
    }
    // An endpoint taken out of the webhooks file will not come back by waiting.
    if (sent.permanent) return { state: 'failed', ...failure }
    const next = now.getTime() + retryDelay(delivery.attempt, this.#options, this.#options.random)
    if (next > delivery.createdAt.getTime() + this.#options.maxAgeMs)
      return { state: 'failed', ...failure }
    return { state: 'pending', nextAttemptAt: new Date(next), ...failure }
  }
}

import type pg from 'pg'
import type { Logger } from '../../domain/logger.ts'
import { createPgClient, type PgPoolOptions } from './pg-pool.ts'

export interface PgListenerOptions extends PgPoolOptions {
  channels: string[]
  logger: Logger
  /** Each notification, in the order PostgreSQL delivers them (commit order). */
  onNotification(channel: string, payload: string): void
  /** Listening again after the connection broke: notifications may have been missed. */
  onReconnect?(): void
}

/**
 * One connection that LISTENs to `channels` for as long as it is open, connecting again (with
 * a growing pause) whenever the connection breaks.
 */
export class PgListener {
  readonly #options: PgListenerOptions
  #client: pg.Client | undefined
  #listening: Promise<void> | undefined
  #closed = false
  #retryMs = 100
  #connections = 0
  #connected = false
  #retry: NodeJS.Timeout | undefined

  constructor(options: PgListenerOptions) {
    this.#options = options
  }

  /** Whether the connection is up and listening right now. */
  get listening(): boolean {
    return this.#connected
  }

  /** Resolves once listening (again, after a break); rejects when connecting fails. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the listener is closed'))
    if (!this.#listening) {
      clearTimeout(this.#retry)
      this.#retry = undefined
      this.#attempt()
    }
    return this.#listening as Promise<void>
  }

  #attempt(): void {
    const attempt = this.#connect()
    this.#listening = attempt
    attempt.catch((error) => {
      if (this.#listening !== attempt) return
      this.#listening = undefined
      this.#options.logger.warn('could not listen for run events; retrying', {
        error: String(error),
      })
      this.#retryMs = Math.min(this.#retryMs * 2, 5_000)
      this.#scheduleReconnect()
    })
  }

  async #connect(): Promise<void> {
    const { channels, logger, onNotification } = this.#options
    const client = createPgClient(this.#options)
    this.#client = client
    client.on('notification', (message) => {
      if (client === this.#client) onNotification(message.channel, message.payload ?? '')
    })
    const broken = (error?: Error) => {
      if (client !== this.#client || this.#closed) return
      logger.warn('lost the PostgreSQL connection that listens for run events; reconnecting', {
        error: String(error ?? 'closed'),
      })
      this.#client = undefined
      this.#listening = undefined
      this.#connected = false
      client.end().catch(() => {})
      this.#scheduleReconnect()
    }
    client.on('error', broken)
    client.on('end', () => broken())
    try {
      await client.connect()
      for (const channel of channels)
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`)
    } catch (error) {
      if (client === this.#client) this.#client = undefined
      client.end().catch(() => {})
      throw error
    }
    this.#retryMs = 100
    this.#connected = true
    if (this.#connections++ > 0) this.#options.onReconnect?.()
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (!this.#closed && !this.#listening) this.#attempt()
    }, this.#retryMs)
    this.#retry.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#connected = false
    clearTimeout(this.#retry)
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}

import type { Client, ClientConfig } from 'pg'
import { NOTIFY_CHANNEL } from './database-queries.ts'

interface Waiter {
  queues: string[]
  wake(): void
}

/**
 * PostgreSQL LISTEN/NOTIFY wake-ups for idle workers, on one dedicated client (not from the knex pool:
 * a pooled connection would lose its LISTEN when handed back). `pushRaw` announces `<table>:<queue>`.
 *
 * A notification that arrives while nobody waits on its queue is kept as a permit, so a job pushed
 * between a worker's empty pop and its next wait still wakes it at once (one spurious wake at worst).
 * If the client cannot connect or drops, waits fall back to plain sleeps and reconnect later.
 */
export class JobNotificationListener {
  private client: Client | null = null
  private connecting: Promise<Client | null> | null = null
  private retryAt = 0
  private closed = false
  private readonly waiters = new Set<Waiter>()
  private readonly permits = new Set<string>()

  constructor(
    private readonly connection: string | ClientConfig,
    private readonly table: string,
  ) {}

  async wait(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.closed) return
    if (!this.client) {
      const fresh = Date.now() >= this.retryAt ? await this.connect() : null
      // Just started listening: jobs pushed before that were not announced to us, so look again now.
      if (fresh) return
    }
    if (queues.some((queue) => this.permits.has(queue))) {
      for (const queue of queues) this.permits.delete(queue)
      return
    }
    await new Promise<void>((resolve) => {
      const waiter: Waiter = { queues, wake: () => done() }
      const timer = setTimeout(() => done(), timeoutMs)
      const onAbort = () => done()
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.waiters.delete(waiter)
        resolve()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiters.add(waiter)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.wakeAll()
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null
    this.client = null
    await client?.end().catch(() => undefined)
  }

  private connect(): Promise<Client | null> {
    this.connecting ??= this.open().finally(() => (this.connecting = null))
    return this.connecting
  }

  private async open(): Promise<Client | null> {
    const { default: pg } = await import('pg')
    const client = new pg.Client(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection)
    // An idle client that loses its server emits 'error'; unhandled, that would crash the worker.
    const lost = () => {
      if (this.client !== client) return
      this.client = null
      this.wakeAll()
    }
    client.on('error', lost)
    client.on('end', lost)
    try {
      await client.connect()
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`)
    } catch {
      this.retryAt = Date.now() + 5000
      await client.end().catch(() => undefined)
      return null
    }
    if (this.closed) {
      await client.end().catch(() => undefined)
      return null
    }
    client.on('notification', (message) => {
      if (message.channel !== NOTIFY_CHANNEL || !message.payload?.startsWith(`${this.table}:`)) return
      this.announce(message.payload.slice(this.table.length + 1))
    })
    this.client = client
    return client
  }

  private announce(queue: string): void {
    let woken = false
    for (const waiter of this.waiters) {
      if (waiter.queues.includes(queue)) {
        waiter.wake()
        woken = true
      }
    }
    if (!woken) this.permits.add(queue)
  }

  private wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake()
  }
}

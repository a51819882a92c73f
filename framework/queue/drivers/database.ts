import type { Knex } from 'knex'
import type { ClientConfig } from 'pg'
import type { Application } from '../../foundation/application.ts'
import type { DatabaseQueueConnectionConfig } from '../config.ts'
import type { PushOptions, QueueDriver, ReservedJob } from '../contracts.ts'
import { DeleteBatcher } from './database-acks.ts'
import { dialectFor, type QueueDialect } from './database-dialect.ts'
import { JobNotificationListener } from './database-listener.ts'
import {
  claimJobs,
  countJobs,
  deleteQueue,
  deleteReservations,
  insertJobs,
  isTransaction,
  releaseReservation,
  touchReservation,
  type JobTable,
  type ReservationKey,
} from './database-queries.ts'
import { withTable } from './database-errors.ts'
import { retryOnContention } from './database-retry.ts'

/** Rows per INSERT in bulkRaw: well under every bound-parameter limit (SQLite 32,766; pg one JSON parameter). */
const INSERT_CHUNK = 1000

/**
 * The `database` queue driver: Laravel's `jobs` table on SQLite, PostgreSQL or MariaDB/MySQL, through
 * the knex connection named in the config. See database-queries.ts for the SQL and database-dialect.ts
 * for what differs between engines.
 */
export async function createDatabaseQueue(name: string, config: DatabaseQueueConnectionConfig, app: Application): Promise<QueueDriver> {
  const manager = app.make('db')
  const db = await manager.connection(config.connection)
  const dialect = await dialectFor(db)
  const listener = dialect.notify
    ? new JobNotificationListener(manager.knexConfig(manager.connectionConfig(config.connection)).connection as string | ClientConfig, config.table)
    : null
  return new DatabaseQueue(name, config, db, dialect, listener)
}

export class DatabaseQueue implements QueueDriver {
  private readonly deletes: DeleteBatcher
  /** Idle waiters on engines without server wake-ups; pushes through this driver wake them. */
  private readonly localWaiters = new Set<{ queues: string[]; wake(): void }>()

  constructor(
    readonly connectionName: string,
    private readonly config: DatabaseQueueConnectionConfig,
    private readonly db: Knex,
    private readonly dialect: QueueDialect,
    private readonly listener: JobNotificationListener | null,
  ) {
    this.deletes = new DeleteBatcher((keys) => this.run(() => deleteReservations(this.jobTable(), keys)))
  }

  async pushRaw(payload: string, queue?: string, options?: PushOptions): Promise<string> {
    const [id] = await this.bulkRaw([payload], queue, options)
    return id as string
  }

  async bulkRaw(payloads: string[], queue = this.config.queue, options?: PushOptions): Promise<string[]> {
    if (payloads.length === 0) return []
    const delay = options?.delay ?? 0
    const outer = isTransaction(options?.transaction) ? options.transaction : null
    const insertAll = async (db: Knex | Knex.Transaction) => {
      const ids: string[] = []
      for (let i = 0; i < payloads.length; i += INSERT_CHUNK) {
        ids.push(...(await insertJobs(this.jobTable(db), queue, payloads.slice(i, i + INSERT_CHUNK), delay)))
      }
      return ids
    }
    let ids: string[]
    // options.transaction (a knex transaction on this queue's database): the row commits or rolls back
    // with the caller's work. A retry inside it is not ours to make: a deadlock aborted their transaction.
    if (outer) ids = await withTable(this.dialect, this.config.table, () => insertAll(outer))
    else if (payloads.length <= INSERT_CHUNK) ids = await this.run(() => insertAll(this.db))
    else ids = await this.run(() => this.db.transaction((trx) => insertAll(trx)))
    if (outer) void outer.executionPromise.then(() => this.wakeLocal(queue), () => undefined)
    else this.wakeLocal(queue)
    return ids
  }

  async pop(queue: string, max = 1): Promise<ReservedJob[]> {
    const limit = Math.max(1, Math.floor(max))
    const rows = await this.run(() => claimJobs(this.jobTable(), queue, limit, this.config.retry_after))
    return rows.map((row) => new DatabaseReservedJob(this, queue, row.id, row.payload, row.attempts))
  }

  size(queue = this.config.queue): Promise<number> {
    return this.run(() => countJobs(this.jobTable(), queue))
  }

  clear(queue = this.config.queue): Promise<number> {
    return this.run(() => deleteQueue(this.jobTable(), queue))
  }

  /**
   * PostgreSQL: LISTEN/NOTIFY wakes the worker as soon as a job is pushed, from any process. Other
   * engines have no server-side wake-up: a push through this same driver wakes it, otherwise it sleeps
   * `timeoutMs` (the worker's --sleep) and polls again, as Laravel's database driver does.
   */
  async waitForJobs(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.listener) return this.listener.wait(queues, timeoutMs, signal)
    if (signal.aborted) return
    await new Promise<void>((resolve) => {
      const waiter = { queues, wake: () => done() }
      const timer = setTimeout(() => done(), timeoutMs)
      const onAbort = () => done()
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.localWaiters.delete(waiter)
        resolve()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.localWaiters.add(waiter)
    })
  }

  async close(): Promise<void> {
    await this.deletes.drain()
    await this.listener?.close()
    for (const waiter of [...this.localWaiters]) waiter.wake()
  }

  /** @internal The reservation protocol, used by DatabaseReservedJob. */
  acknowledge(key: ReservationKey): Promise<void> {
    return this.deletes.delete(key)
  }

  /** @internal */
  async putBack(key: ReservationKey, delaySeconds: number): Promise<void> {
    await this.run(() => releaseReservation(this.jobTable(), key, delaySeconds))
  }

  /** @internal */
  async extend(key: ReservationKey): Promise<void> {
    await this.run(() => touchReservation(this.jobTable(), key))
  }

  /** One operation the driver owns: retried on contention, a missing table reported as such. */
  private run<T>(operation: () => Promise<T>): Promise<T> {
    return withTable(this.dialect, this.config.table, () => retryOnContention(this.dialect, operation))
  }

  private jobTable(db: Knex | Knex.Transaction = this.db): JobTable {
    return { db, dialect: this.dialect, table: this.config.table }
  }

  private wakeLocal(queue: string): void {
    for (const waiter of [...this.localWaiters]) if (waiter.queues.includes(queue)) waiter.wake()
  }
}

/** One reservation of a `jobs` row. Its token is (id, attempts): a later claim of the row changes it. */
class DatabaseReservedJob implements ReservedJob {
  readonly reservationToken: string

  constructor(
    private readonly driver: DatabaseQueue,
    readonly queue: string,
    readonly id: string,
    readonly rawBody: string,
    readonly attempts: number,
  ) {
    this.reservationToken = `${id}:${attempts}`
  }

  get connectionName(): string {
    return this.driver.connectionName
  }

  delete(): Promise<void> {
    return this.driver.acknowledge(this.key())
  }

  release(delaySeconds: number): Promise<void> {
    return this.driver.putBack(this.key(), delaySeconds)
  }

  touch(): Promise<void> {
    return this.driver.extend(this.key())
  }

  private key(): ReservationKey {
    return { id: this.id, attempts: this.attempts }
  }
}

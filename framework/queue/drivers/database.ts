import type { Knex } from 'knex'
import type { ClientConfig } from 'pg'
import { describeTarget } from '../../database/connection-check.ts'
import { serverStartedAt } from '../../database/server-start.ts'
import { mayHaveBeenApplied } from '../../database/server-unavailable.ts'
import type { Application } from '../../foundation/application.ts'
import type { DatabaseQueueConnectionConfig } from '../config.ts'
import type { FollowUpPush, PushOptions, QueueDriver, ReservedJob } from '../contracts.ts'
import { AckBatcher } from './database-acks.ts'
import { dialectFor, type QueueDialect } from './database-dialect.ts'
import { JobNotificationListener } from './database-listener.ts'
import {
  claimJobs,
  countJobs,
  deleteAndClaim,
  deleteQueue,
  deleteReservations,
  insertJobs,
  isTransaction,
  nextDueIn,
  releaseReservation,
  returnReservations,
  touchReservation,
  withdrawJobs,
  type ClaimedRow,
  type JobTable,
  type ReservationKey,
  NOTIFY_CHANNEL,
} from './database-queries.ts'
import { DatabaseQueueUnavailableError, whileAvailable, withTable, type QueueServer } from './database-errors.ts'
import { InDoubtPushes, type WithdrawalReport } from './in-doubt-pushes.ts'
import { directSqlite, watchCommits, type StatementRunner } from './database-sqlite-direct.ts'
import { directPg } from './database-pg-direct.ts'
import { PgStatsKeeper } from './database-pg-stats.ts'
import { retryOnContention } from './database-retry.ts'

/** Rows per INSERT in bulkRaw: well under every bound-parameter limit (SQLite 32,766; pg one JSON parameter). */
const INSERT_CHUNK = 1000
/** Reservations per give-back UPDATE: two bound parameters each, well under every limit. */
const RETURN_CHUNK = 500
/** How long after a delayed job's second an idle worker looks: the server's clock must have passed it. */
const DUE_MARGIN_MS = 5
/** How soon an idle worker looks again when a due row was held by another claimer. */
const DUE_RETRY_MS = 50
/**
 * Workers give back what they claim from a server that started less than this ago, so a producer can
 * first withdraw an INSERT it answered as failed that the server committed as it shut down.
 */
const RESTART_HOLD_MS = 3000
/** How often a producer tries again to withdraw such an INSERT while the server is away. */
const WITHDRAW_RETRY_MS = 250

/**
 * The `database` queue driver: Laravel's `jobs` table on SQLite, PostgreSQL or MariaDB/MySQL, through
 * the knex connection named in the config. See database-queries.ts for the SQL and database-dialect.ts
 * for what differs between engines.
 */
export async function createDatabaseQueue(name: string, config: DatabaseQueueConnectionConfig, app: Application): Promise<QueueDriver> {
  const manager = app.make('db')
  const db = await manager.connection(config.connection)
  const target = manager.connectionConfig(config.connection)
  const server: QueueServer = { connection: name, engine: ENGINES[target.driver], where: describeTarget(target) }
  // MySQL is told from MariaDB by asking the server: the first thing to fail when it is down.
  const dialect = await whileAvailable(server, () => dialectFor(db))
  const listener = dialect.notify
    ? new JobNotificationListener(manager.knexConfig(manager.connectionConfig(config.connection)).connection as string | ClientConfig, config.table)
    : null
  return new DatabaseQueue(name, config, db, dialect, listener, server, (details, message) => app.make('log').warn(details, message))
}

const ENGINES = { sqlite: 'SQLite', pgsql: 'PostgreSQL', mysql: 'MySQL/MariaDB' } as const

export class DatabaseQueue implements QueueDriver {
  private readonly acks: AckBatcher<ClaimedRow>
  /** Idle waiters on engines without server wake-ups; pushes through this driver wake them. */
  private readonly localWaiters = new Set<{ queues: string[]; wake(): void }>()
  /** The hot statements prepared once per connection (database-sqlite-direct.ts, database-pg-direct.ts). */
  private readonly direct: StatementRunner | null
  /** PostgreSQL: ANALYZE when a backlog arrived faster than autovacuum noticed (database-pg-stats.ts). */
  private readonly stats: PgStatsKeeper | null
  /** INSERTs answered as failed that the server may have committed: withdrawn once it answers again. */
  private readonly inDoubt: InDoubtPushes<string>

  constructor(
    readonly connectionName: string,
    private readonly config: DatabaseQueueConnectionConfig,
    private readonly db: Knex,
    private readonly dialect: QueueDialect,
    private readonly listener: JobNotificationListener | null,
    private readonly server: QueueServer,
    report: WithdrawalReport = () => undefined,
  ) {
    this.direct = dialect.engine === 'sqlite' ? directSqlite(db) : dialect.engine === 'pgsql' ? directPg(db) : null
    this.stats = dialect.engine === 'pgsql' ? new PgStatsKeeper(db, dialect.quote(config.table)) : null
    this.inDoubt = new InDoubtPushes<string>(
      (queue, bodies) => this.run(() => withdrawJobs(this.jobTable(), queue, bodies)),
      (retry) => void setTimeout(retry, WITHDRAW_RETRY_MS).unref(),
      report,
    )
    this.acks = new AckBatcher<ClaimedRow>((keys, claim) =>
      claim
        ? this.run(() => deleteAndClaim(this.jobTable(), keys, claim.queue, claim.max, this.config.retry_after))
        : this.run(() => deleteReservations(this.jobTable(), keys)).then(() => []),
    )
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
    // A server that cannot be reached is reported as such (E_QUEUE_UNAVAILABLE), so no caller mistakes
    // an unconfirmed job for a stored one (the HTTP kernel answers 503).
    const ids = await whileAvailable(this.server, () => {
      // options.transaction (a knex transaction on this queue's database): the row commits or rolls back
      // with the caller's work. A retry inside it is not ours to make: a deadlock aborted their transaction.
      if (outer) return withTable(this.dialect, this.config.table, () => insertAll(outer))
      const inserted = payloads.length <= INSERT_CHUNK ? this.run(() => insertAll(this.db)) : this.run(() => this.db.transaction((trx) => insertAll(trx)))
      return inserted.catch((error: unknown) => {
        if (mayHaveBeenApplied(error instanceof DatabaseQueueUnavailableError ? error.cause : error)) this.inDoubt.add(queue, payloads)
        throw error
      })
    })
    if (outer) void outer.executionPromise.then(() => this.wakeLocal(queue), () => undefined)
    else this.wakeLocal(queue)
    return ids
  }

  async pop(queue: string, max = 1): Promise<ReservedJob[]> {
    const limit = Math.max(1, Math.floor(max))
    if (this.stats?.unchecked) await this.stats.check()
    return this.claimed(queue, limit, await this.run(() => claimJobs(this.jobTable(), queue, limit, this.config.retry_after)))
  }

  /**
   * Acknowledges `job` and reserves up to `max` jobs of `queue` in one round trip (one statement on
   * PostgreSQL, one transaction on MySQL/MariaDB, two in-process statements on SQLite); acknowledgements
   * finishing in the same tick share it.
   */
  async deleteAndPop(job: ReservedJob, queue = job.queue, max = 1): Promise<ReservedJob[]> {
    const limit = Math.max(1, Math.floor(max))
    if (!this.owns(job)) {
      await job.delete()
      return this.pop(queue, limit)
    }
    return this.claimed(queue, limit, await this.acks.deleteAndClaim([job.key()], queue, limit))
  }

  /** Acknowledges a batch (a prefetching worker's): one promise, a statement per 500 keys. */
  async deleteMany(jobs: ReservedJob[]): Promise<void> {
    const { keys, foreign } = this.keysOf(jobs)
    await Promise.all([this.acks.deleteMany(keys), ...foreign])
  }

  async deleteManyAndPop(jobs: readonly ReservedJob[], queue: string, max: number): Promise<ReservedJob[]> {
    const limit = Math.max(1, Math.floor(max))
    const { keys, foreign } = this.keysOf(jobs)
    const [rows] = await Promise.all([this.acks.deleteAndClaim(keys, queue, limit), ...foreign])
    return this.claimed(queue, limit, rows)
  }

  /** The reservation keys of this driver's jobs; another driver's jobs are deleted their own way. */
  private keysOf(jobs: readonly ReservedJob[]): { keys: ReservationKey[]; foreign: Promise<void>[] } {
    const keys: ReservationKey[] = []
    const foreign: Promise<void>[] = []
    for (const job of jobs) {
      if (this.owns(job)) keys.push(job.key())
      else foreign.push(job.delete())
    }
    return { keys, foreign }
  }

  private owns(job: ReservedJob): job is DatabaseReservedJob {
    return job instanceof DatabaseReservedJob && job.driver === this
  }

  /** Prefetched jobs a stopping worker never started: available again at once, their claim's attempt taken back. */
  async releaseUnstarted(jobs: ReservedJob[]): Promise<void> {
    const keys = jobs.filter((job): job is DatabaseReservedJob => this.owns(job)).map((job) => job.key())
    for (let i = 0; i < keys.length; i += RETURN_CHUNK) {
      const chunk = keys.slice(i, i + RETURN_CHUNK)
      await this.run(() => returnReservations(this.jobTable(), chunk))
    }
    if (keys.length === 0) return
    for (const queue of new Set(jobs.map((job) => job.queue))) {
      this.wakeLocal(queue)
      // Idle workers elsewhere sleep on LISTEN: tell them these jobs are back.
      if (this.dialect.notify) await this.run(() => this.db.raw('SELECT pg_notify(?, ?)', [NOTIFY_CHANNEL, `${this.config.table}:${queue}`]))
    }
  }

  size(queue = this.config.queue): Promise<number> {
    return this.run(() => countJobs(this.jobTable(), queue))
  }

  clear(queue = this.config.queue): Promise<number> {
    return this.run(() => deleteQueue(this.jobTable(), queue))
  }

  /**
   * PostgreSQL: LISTEN/NOTIFY wakes the worker as soon as a job is pushed, from any process. SQLite: a
   * commit by another connection (another process dispatching) wakes it within a few milliseconds
   * (watchCommits). MySQL has no such signal: a push through this same driver wakes it, otherwise it
   * sleeps `timeoutMs` (the worker's --sleep) and polls again, as Laravel's database driver does.
   *
   * On every engine the wait also ends just after the server's clock reaches the next delayed job's
   * second (or an expiring reservation's), when that comes before `timeoutMs`: a delayed job starts on
   * time whatever --sleep is, instead of up to a whole sleep late.
   */
  async waitForJobs(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    const wait = new AbortController()
    const forward = () => wait.abort()
    signal.addEventListener('abort', forward, { once: true })
    let dueTimer: NodeJS.Timeout | undefined
    // Asked alongside the wait, not before it: a notification arriving meanwhile must not wait for this query.
    void nextDueIn(this.jobTable(), queues, this.config.retry_after).then(
      (ms) => {
        if (ms === null || wait.signal.aborted || ms >= timeoutMs) return
        // A row that is already due was skipped under another claimer's lock: look again soon, not in a loop.
        dueTimer = setTimeout(forward, ms > 0 ? ms + DUE_MARGIN_MS : DUE_RETRY_MS)
      },
      // The next claim reports a failing server; this lookup only shortens a sleep.
      () => undefined,
    )
    try {
      await this.waitForWake(queues, timeoutMs, wait.signal)
    } finally {
      wait.abort()
      clearTimeout(dueTimer)
      signal.removeEventListener('abort', forward)
    }
  }

  private async waitForWake(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.listener) return this.listener.wait(queues, timeoutMs, signal)
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
      if (this.direct && this.dialect.engine === 'sqlite') void watchCommits(this.direct, () => !this.localWaiters.has(waiter), done)
    })
  }

  async close(): Promise<void> {
    await this.acks.drain()
    await this.listener?.close()
    for (const waiter of [...this.localWaiters]) waiter.wake()
  }

  /** @internal The reservation protocol, used by DatabaseReservedJob. */
  acknowledge(key: ReservationKey): Promise<void> {
    return this.acks.delete(key)
  }

  /**
   * @internal Deletes the reservation and inserts `pushes` in one transaction; null (nothing inserted)
   * when the reservation was no longer held.
   */
  async deleteAndPush(key: ReservationKey, pushes: readonly FollowUpPush[]): Promise<string[] | null> {
    // MySQL/MariaDB: READ COMMITTED, as claims use (no gap locks between this and concurrent claims).
    const isolation = this.dialect.claim === 'select-for-update' ? { isolationLevel: 'read committed' as const } : undefined
    const ids = await this.run(() =>
      this.db.transaction(async (trx) => {
        // The delete comes first: a lost reservation ends the transaction before anything is inserted.
        if ((await deleteReservations(this.jobTable(trx), [key])) !== 1) return null
        const inserted: string[] = []
        for (const push of pushes) inserted.push(...(await insertJobs(this.jobTable(trx), push.queue, [push.payload], push.delay)))
        return inserted
      }, isolation),
    )
    if (ids) for (const queue of new Set(pushes.map((push) => push.queue))) this.wakeLocal(queue)
    return ids
  }

  /** @internal False when the reservation was no longer held. */
  putBack(key: ReservationKey, delaySeconds: number): Promise<boolean> {
    return this.run(() => releaseReservation(this.jobTable(), key, delaySeconds))
  }

  /** @internal False when the reservation was no longer held. */
  extend(key: ReservationKey): Promise<boolean> {
    return this.run(() => touchReservation(this.jobTable(), key))
  }

  /**
   * The rows a claim reserved, as reservations; none (given back, their attempt taken back) while the
   * server has been up for less than RESTART_HOLD_MS. Checked after the claim: the claim's connection is
   * what tells of a restart. A full claim may mean a backlog the statistics have not seen (PostgreSQL).
   */
  private async claimed(queue: string, limit: number, rows: ClaimedRow[]): Promise<ReservedJob[]> {
    const startedAt = serverStartedAt(this.db)
    if (rows.length > 0 && startedAt !== undefined && Date.now() - startedAt < RESTART_HOLD_MS) {
      await this.run(() => returnReservations(this.jobTable(), rows))
      return []
    }
    if (rows.length === limit) void this.stats?.check()
    return this.reservations(queue, rows)
  }

  /**
   * One operation the driver owns: retried on contention, a missing table reported as such, and a server
   * that cannot be reached as E_QUEUE_UNAVAILABLE (one line in a worker's output, not the failed SQL).
   */
  private run<T>(operation: () => Promise<T>): Promise<T> {
    return whileAvailable(this.server, () => withTable(this.dialect, this.config.table, () => retryOnContention(this.dialect, operation)))
  }

  private jobTable(db: Knex | Knex.Transaction = this.db): JobTable {
    return { db, dialect: this.dialect, table: this.config.table, direct: db === this.db ? this.direct : null }
  }

  private reservations(queue: string, rows: ClaimedRow[]): ReservedJob[] {
    return rows.map((row) => new DatabaseReservedJob(this, queue, row.id, row.payload, row.attempts))
  }

  private wakeLocal(queue: string): void {
    for (const waiter of [...this.localWaiters]) if (waiter.queues.includes(queue)) waiter.wake()
  }
}

/** One reservation of a `jobs` row. Its token is (id, attempts): a later claim of the row changes it. */
class DatabaseReservedJob implements ReservedJob {
  readonly reservationToken: string
  /** Set when release() or touch() found the reservation gone: it expired and the job was claimed again. */
  leaseLost = false

  constructor(
    readonly driver: DatabaseQueue,
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

  async release(delaySeconds: number): Promise<void> {
    if (!(await this.driver.putBack(this.key(), delaySeconds))) this.leaseLost = true
  }

  async touch(): Promise<void> {
    if (!(await this.driver.extend(this.key()))) this.leaseLost = true
  }

  /** Deletes this reservation and inserts `pushes`, in one transaction (nothing when the lease was lost). */
  async deleteAndPush(pushes: readonly FollowUpPush[]): Promise<string[]> {
    const ids = await this.driver.deleteAndPush(this.key(), pushes)
    if (ids === null) this.leaseLost = true
    return ids ?? []
  }

  /** @internal */
  key(): ReservationKey {
    return { id: this.id, attempts: this.attempts }
  }
}

/**
 * The command bus (service `bus`): decides where a dispatched job goes. A QueuedJob goes to its queue
 * connection; a plain Job, or any job dispatched with dispatchSync, runs now, in this process, through
 * the sync driver and so through the same pipeline as the worker (middleware, tries, failed() hook).
 */
import type { Application } from '../foundation/application.ts'
import type { QueueConnectionConfig } from '../queue/config.ts'
import type { PushOptions, QueueDriver } from '../queue/contracts.ts'
import { JobQueued } from '../queue/events.ts'
import { isQueued, type Job } from '../queue/job.ts'
import { decodePayload, encodeJob, type PayloadDefaults } from '../queue/payload-codec.ts'
import { currentPayloadSecurity } from '../queue/payload-security.ts'
import type { DispatchOptions } from '../queue/pending-dispatch.ts'
import { committed, type TransactionLike } from './after-commit.ts'

/** encodeJob's defaults when the job sets none: shared, so a bulk allocates none per job. */
const NO_DEFAULTS: PayloadDefaults = Object.freeze({})

export class Dispatcher {
  private syncDriver: Promise<QueueDriver> | undefined

  constructor(private readonly app: Application) {}

  /** Queues or runs `job`; yields the driver's job id, or null when the push waits for a commit. */
  dispatch(job: Job, options: DispatchOptions = {}): Promise<string | null> {
    return options.sync || !isQueued(job) ? this.dispatchNow(job, options) : this.dispatchToQueue(job, options)
  }

  /**
   * Stores `job` on its queue connection (after the transaction commits, when asked to). Not async, nor
   * is push(): a dispatch awaited on its own pays for every promise step between it and the driver.
   */
  dispatchToQueue(job: Job, options: DispatchOptions = {}): Promise<string | null> {
    try {
      const manager = this.app.make('queue')
      const connection = options.connection ?? job.connection ?? manager.defaultConnection
      const config = manager.connectionConfig(connection)
      // Only a sync connection waits for the registry.
      if (config.driver === 'sync') return this.ensureKnown(job).then(() => this.queue(job, connection, config, options))
      return this.queue(job, connection, config, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  private queue(job: Job, connection: string, config: QueueConnectionConfig, options: DispatchOptions): Promise<string | null> {
    const { payload, queue } = this.encode(job, connection, options.queue)
    const delay = delaySeconds(options.delay ?? job.delay)
    const afterCommit = options.afterCommit ?? job.afterCommit ?? ('after_commit' in config && config.after_commit === true)
    const transaction = options.transaction
    // A transaction already finished at dispatch time leaves nothing to wait for (Laravel: no open transaction).
    if (transaction && afterCommit && !transaction.isCompleted()) {
      this.pushAfterCommit(transaction, () => this.push(connection, queue, payload, delay, job))
      return Promise.resolve(null)
    }
    return this.push(connection, queue, payload, delay, job, transaction)
  }

  /** Stores `job` on `connection` now, whatever its afterCommit setting (Queue.push / Queue.later). */
  async pushJob(job: Job, connection: string, queue?: string, delay: number | Date = 0): Promise<string> {
    if (this.app.make('queue').connectionConfig(connection).driver === 'sync') await this.ensureKnown(job)
    const encoded = this.encode(job, connection, queue)
    return this.push(connection, encoded.queue, encoded.payload, delaySeconds(delay), job)
  }

  /** Stores several jobs on one queue in as few round trips as the driver allows; yields their ids in order. */
  async bulk(jobs: Job[], connection: string, queue?: string): Promise<string[]> {
    const manager = this.app.make('queue')
    const target = queue ?? manager.defaultQueue(connection)
    // Once per batch, not per job: whether the classes must be known here, and the signing keys.
    const sync = manager.connectionConfig(connection).driver === 'sync'
    const security = currentPayloadSecurity()
    // Every job is encoded before any is stored, so one bad job refuses the whole batch.
    const payloads: string[] = []
    for (const job of jobs) {
      if (sync) await this.ensureKnown(job)
      payloads.push(encodeJob(job, NO_DEFAULTS, security).payload)
    }
    const ids = await (await manager.connection(connection)).bulkRaw(payloads, target)
    const events = this.app.make('events')
    if (!events.hasListeners(JobQueued)) return ids
    for (const [i, id] of ids.entries()) await events.dispatch(new JobQueued(connection, target, id, decodePayload(payloads[i] ?? ''), jobs[i] ?? null, 0))
    return ids
  }

  /** Runs `job` now through the worker pipeline; a failure is thrown to the caller. */
  async dispatchNow(job: Job, options: DispatchOptions = {}): Promise<string> {
    ;(await this.app.make('jobs').ready()).ensure(job)
    const { payload } = encodeJob(job)
    const driver = await (this.syncDriver ??= this.openSyncDriver())
    return driver.pushRaw(payload, options.queue ?? job.queue ?? 'default')
  }

  /** Pushes an encoded payload and announces it with JobQueued. */
  push(connection: string, queue: string, payload: string, delay: number, job: Job | null, transaction?: TransactionLike): Promise<string> {
    // Built without spreads: this runs on every dispatch.
    const options: PushOptions = {}
    if (delay > 0) options.delay = delay
    if (transaction) options.transaction = transaction
    const driver = this.app.make('queue').opened(connection)
    // The common case: the connection is open and nobody listens for JobQueued, so the driver's promise is the dispatch's.
    if (driver && !this.app.make('events').hasListeners(JobQueued)) return driver.pushRaw(payload, queue, options)
    return this.pushAndAnnounce(connection, queue, payload, delay, job, options)
  }

  private async pushAndAnnounce(connection: string, queue: string, payload: string, delay: number, job: Job | null, options: PushOptions): Promise<string> {
    const driver = await this.app.make('queue').connection(connection)
    const id = await driver.pushRaw(payload, queue, options)
    const events = this.app.make('events')
    // Decoding the payload for the event costs as much as a third of encoding it: only when someone listens.
    if (events.hasListeners(JobQueued)) await events.dispatch(new JobQueued(connection, queue, id, decodePayload(payload), job, delay))
    return id
  }

  /** Encodes `job` and picks its queue on `connection`. */
  private encode(job: Job, connection: string, queue?: string): { payload: string; queue: string } {
    return { payload: encodeJob(job).payload, queue: queue ?? job.queue ?? this.app.make('queue').defaultQueue(connection) }
  }

  /** A sync connection runs the job here, by name: make sure this process knows the class. */
  private async ensureKnown(job: Job): Promise<void> {
    ;(await this.app.make('jobs').ready()).ensure(job)
  }

  async close(): Promise<void> {
    const driver = this.syncDriver
    this.syncDriver = undefined
    await (await driver?.catch(() => undefined))?.close()
  }

  /** Its own sync driver, not the `queue` service's, so Queue.fake() leaves plain Jobs running as in Laravel. */
  private async openSyncDriver(): Promise<QueueDriver> {
    const { createSyncQueue } = await import('../queue/drivers/sync.ts')
    return createSyncQueue('sync', { driver: 'sync' }, this.app)
  }

  private pushAfterCommit(transaction: TransactionLike, push: () => Promise<string>): void {
    void committed(transaction).then(async (kept) => {
      if (!kept) return // rolled back: the job is never pushed
      try {
        await push()
      } catch (error) {
        // The caller has moved on; the log is the only place left to report a push that failed after commit.
        this.app.make('log').error({ err: error }, 'A job dispatched with afterCommit could not be pushed after the commit')
      }
    })
  }
}

/** Seconds from now for a delay given as seconds or as a Date (never negative). */
export function delaySeconds(delay: number | Date | undefined): number {
  if (delay === undefined) return 0
  if (delay instanceof Date) return Math.max(0, Math.ceil((delay.getTime() - Date.now()) / 1000))
  if (!Number.isFinite(delay)) throw new RangeError(`A job delay must be a finite number of seconds, got ${delay}.`)
  return Math.max(0, delay)
}

/**
 * The contracts of the queue: what a driver stores and hands out, and what a job sees while it runs.
 * Drivers store; the worker decides (retries, backoff, failing and events live once, in the worker).
 */

/** The JSON every driver stores, byte for byte as the codec wrote it. */
export interface JobPayload {
  uuid: string
  /** The registered job name (the registry maps it to a class). Never a module path. */
  job: string
  /** For humans: queue:failed, logs. Usually equals `job`. */
  displayName: string
  /** The job's own properties, encoded by the payload codec. */
  data: unknown
  maxTries: number | null
  maxExceptions: number | null
  /** Seconds before each retry; the last value repeats. */
  backoff: number[] | null
  /** Seconds an attempt may run. */
  timeout: number | null
  /** Unix time (seconds) after which the job is not retried. */
  retryUntil: number | null
  failOnTimeout: boolean
  /** Unix time (ms) of dispatch. */
  pushedAt: number
  /** Later modules add chain/batch/signature fields; readers must ignore what they do not know. */
  [extra: string]: unknown
}

export interface PushOptions {
  /** Seconds to wait before the job becomes available. */
  delay?: number
  /**
   * The knex transaction the dispatch ran in (`PendingDispatch.withTransaction`). The database driver
   * inserts the job inside it, so a rollback removes the job too; other drivers ignore it.
   */
  transaction?: unknown
}

/** One queue connection as a driver sees it: raw payload strings in, reservations out. */
export interface QueueDriver {
  readonly connectionName: string
  /** Stores one payload on `queue` (the connection's default when omitted); returns its id. */
  pushRaw(payload: string, queue?: string, options?: PushOptions): Promise<string>
  /** Stores many payloads in as few round trips as the server allows; returns their ids in order. */
  bulkRaw(payloads: string[], queue?: string, options?: PushOptions): Promise<string[]>
  /**
   * Reserves up to `max` available jobs of one queue, atomically: no job is handed to two workers while
   * its reservation is live. Each reservation increments the job's attempts. Expired reservations
   * (older than retry_after) become available again here.
   */
  pop(queue: string, max?: number): Promise<ReservedJob[]>
  /** Jobs waiting, delayed or reserved on `queue`. */
  size(queue?: string): Promise<number>
  /** Deletes every job of `queue`; returns how many. */
  clear(queue?: string): Promise<number>
  /**
   * Resolves when a job may have become available on one of `queues`, or after `timeoutMs`, or when
   * `signal` aborts. Drivers with a server-side wake-up (LISTEN/NOTIFY, blocking pops) use it; the
   * default is a plain sleep.
   */
  waitForJobs?(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void>
  /**
   * Optional fast path: acknowledges `job` (as its delete() would) and reserves up to `max` jobs of
   * `queue` (default: the job's queue) in one round trip. A worker prefers it to delete() + pop().
   */
  deleteAndPop?(job: ReservedJob, queue?: string, max?: number): Promise<ReservedJob[]>
  /**
   * Optional: acknowledges several jobs at once, each as its own delete() would (token-checked): a
   * prefetching worker's acknowledgements, written together.
   */
  deleteMany?(jobs: ReservedJob[]): Promise<void>
  /**
   * Optional: acknowledges `jobs` (all of `queue`, each as its delete() would) and reserves up to `max`
   * jobs of `queue`, in one round trip: a prefetching worker's refill carries the acknowledgements
   * waiting to be written.
   */
  deleteManyAndPop?(jobs: readonly ReservedJob[], queue: string, max: number): Promise<ReservedJob[]>
  /**
   * Optional: gives back reservations whose jobs never started (a stopping worker's prefetched jobs),
   * available at once and without counting the attempt their claim added. Token-checked like delete():
   * a reservation that expired and was claimed again is left alone. Workers prefetch only on drivers
   * that have it.
   */
  releaseUnstarted?(jobs: ReservedJob[]): Promise<void>
  /** Optional: warnings a worker prints at start (e.g. a Redis eviction policy that can drop jobs). */
  startupWarnings?(): Promise<string[]>
  /** Closes connections the driver opened itself. */
  close(): Promise<void>
}

/** A job handed to one worker. Acknowledged by its reservation token, never by its payload's bytes. */
export interface ReservedJob {
  readonly id: string
  readonly queue: string
  readonly connectionName: string
  /** The payload exactly as stored. */
  readonly rawBody: string
  /** Times this job has been reserved, this reservation included. */
  readonly attempts: number
  readonly reservationToken: string
  /** Acknowledges success: removes the job. */
  delete(): Promise<void>
  /** Puts the job back, available after `delaySeconds`. */
  release(delaySeconds: number): Promise<void>
  /** Extends the reservation by the connection's retry_after (lease renewal). */
  touch?(): Promise<void>
  /** True once delete/release/touch found the reservation gone (it expired and was handed out again). */
  readonly leaseLost?: boolean
  /**
   * Optional: acknowledges this job (token-checked, as delete() does) and stores `pushes` on this job's
   * connection in one atomic step, so a worker killed at any instant leaves either both or neither (a
   * chain's next link, a batch's callbacks). When the reservation is gone (the lease was lost) nothing
   * is pushed, `leaseLost` turns true and the answer is empty: the worker now holding the job pushes
   * them. Yields the new jobs' ids, in the order of `pushes`.
   */
  deleteAndPush?(pushes: readonly FollowUpPush[]): Promise<string[]>
}

/** A job to store together with an acknowledgement (see ReservedJob.deleteAndPush). */
export interface FollowUpPush {
  queue: string
  payload: string
  /** Seconds before it becomes available (0: now). */
  delay: number
}

/** What a running job sees as `this.job`. */
export interface JobContext {
  readonly id: string
  readonly uuid: string
  readonly queue: string
  readonly connection: string
  readonly attempts: number
  /** Aborted when the attempt times out or the worker is stopping hard. */
  readonly signal: AbortSignal
}

export interface FailedJobRecord {
  id: number
  uuid: string
  connection: string
  queue: string
  payload: string
  exception: string
  failedAt: Date
}

/** Where finally failed jobs are kept (failed_jobs); queue:failed/retry/forget/flush read it. */
export interface FailedJobStore {
  log(record: { uuid: string; connection: string; queue: string; payload: string; exception: string }): Promise<number>
  all(options?: { queue?: string }): Promise<FailedJobRecord[]>
  /** By numeric id or uuid. */
  find(idOrUuid: string): Promise<FailedJobRecord | null>
  /** Deletes and returns the record in one step, so two concurrent retries re-enqueue it once. */
  take(idOrUuid: string): Promise<FailedJobRecord | null>
  forget(idOrUuid: string): Promise<boolean>
  /** Deletes all, or those older than `hours`; returns how many. */
  flush(hours?: number): Promise<number>
}

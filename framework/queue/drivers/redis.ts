import type { Redis } from 'ioredis'
import type { Application } from '../../foundation/application.ts'
import { checkEvictionPolicy } from '../../redis/eviction-policy.ts'
import { lastConnectionError, type RedisManager } from '../../redis/redis-manager.ts'
import type { RedisQueueConnectionConfig } from '../config.ts'
import type { FollowUpPush, PushOptions, QueueDriver, ReservedJob } from '../contracts.ts'
import { QueueUnavailableError, isUnavailable, mayHaveRun } from './redis-errors.ts'
import { PUSH_CHUNK, QueueScripts, queueKeys, type PopResult, type PoppedJob, type QueueKeys } from './redis-scripts.ts'
import { AckBatcher } from './redis-ack-batcher.ts'
import { InDoubtPushes, type WithdrawalReport } from './in-doubt-pushes.ts'
import { PushBatcher } from './redis-push-batcher.ts'
import { RedisScriptPipe } from './redis-script-pipe.ts'
import { BlockingWaiter } from './redis-wait.ts'

/** Newest ids a withdrawal looks through beyond the jobs it looks for: the pushes made since the outage. */
const WITHDRAW_WINDOW = 10_000

/** Builds the Redis queue driver for one connection of config/queue.ts. Opens no socket until first use. */
export async function createRedisQueue(name: string, config: RedisQueueConnectionConfig, app: Application): Promise<RedisQueue> {
  return new RedisQueue(name, config, app.make('redis'), (details, message) => app.make('log').warn(details, message))
}

/**
 * The Redis queue: every multi-key step is one Lua script (see redis-scripts.ts), reservations carry a
 * random token and expire after retry_after unless renewed with touch(), and an idle worker waits on
 * the server (BLPOP on a connection of its own) instead of polling.
 */
export class RedisQueue implements QueueDriver {
  private readonly client: Redis
  private readonly scripts: QueueScripts
  private readonly waiter: BlockingWaiter
  private readonly retryAfterMs: number
  /** Server-reported time until each queue's next delayed job (or expiring reservation), so a wait ends when it is due. */
  private readonly nextDue = new Map<string, number>()
  /** Coalesces the deleteAndPop calls of one tick into one deleteManyAndPop per queue. */
  private readonly batcher = new AckBatcher((jobs, queue, max) => this.deleteManyAndPop(jobs, queue, max))
  /** Sends the pushRaw calls of one tick (a request's dispatches) in one write. */
  private readonly pushes: PushBatcher
  /** The per-job scripts (push, claim, ack-and-claim) over a connection of their own, without ioredis's per-command work, while it is open. */
  private readonly pipe: RedisScriptPipe
  /** Pushes answered as failed that Redis may have stored: withdrawn once it answers again. */
  private readonly inDoubt: InDoubtPushes<QueueKeys>

  constructor(
    readonly connectionName: string,
    private readonly config: RedisQueueConnectionConfig,
    private readonly redis: RedisManager,
    report: WithdrawalReport = () => undefined,
  ) {
    this.client = redis.connection(config.connection)
    this.scripts = new QueueScripts(this.client)
    this.pipe = new RedisScriptPipe(this.client, this.scripts, WITHDRAW_WINDOW)
    this.inDoubt = new InDoubtPushes(
      (keys, bodies) => this.scripts.withdraw(keys, bodies, WITHDRAW_WINDOW + bodies.length),
      (retry) => this.client.once('ready', retry),
      report,
    )
    this.pushes = new PushBatcher(
      (request) => this.push(request.keys, request.bodies, request.delayMs),
      (write) => this.corked(write),
      () => this.pipe.idle,
    )
    this.retryAfterMs = config.retry_after * 1000
    // The blocking connection waits through outages without erroring and without a reply deadline
    // (a BLPOP legitimately takes block_for); the waiter bounds every wait with its own timer.
    this.waiter = new BlockingWaiter(() => redis.duplicate(config.connection, { maxRetriesPerRequest: null, commandTimeout: undefined }))
  }

  /** Not async: every promise step adds to a dispatch awaited on its own (see Dispatcher.dispatchToQueue). */
  pushRaw(payload: string, queue?: string, options: PushOptions = {}): Promise<string> {
    return this.guard(this.pushes.add({ keys: this.keys(queue), bodies: [payload], delayMs: (options.delay ?? 0) * 1000 }), firstId)
  }

  async bulkRaw(payloads: string[], queue?: string, options: PushOptions = {}): Promise<string[]> {
    const keys = this.keys(queue)
    const delayMs = (options.delay ?? 0) * 1000
    const chunks: Promise<string[]>[] = []
    // Issued together, so ioredis writes them back to back: one round trip's worth of latency.
    for (let start = 0; start < payloads.length; start += PUSH_CHUNK) {
      chunks.push(this.push(keys, payloads.slice(start, start + PUSH_CHUNK), delayMs))
    }
    return (await this.guard(Promise.all(chunks))).flat()
  }

  async pop(queue: string, max = 1): Promise<ReservedJob[]> {
    const name = queue || this.config.queue
    const result = await this.guard(this.pipe.pop(queueKeys(name), Math.max(1, max), this.retryAfterMs))
    return this.reserved(name, result)
  }

  /**
   * Acknowledges `job` and reserves up to `max` jobs of `queue` in one round trip (one script when
   * `queue` is the job's own queue). The worker's fast path: finish one job, get the next. Calls made in
   * the same tick (a wide worker whose jobs finish together) share one script call: see AckBatcher.
   */
  async deleteAndPop(job: ReservedJob, queue: string = job.queue, max = 1): Promise<ReservedJob[]> {
    if (queue !== job.queue) {
      await job.delete()
      return this.pop(queue, max)
    }
    return this.batcher.add(job, queue, Math.max(1, max))
  }

  /**
   * Acknowledges every job of `jobs` (all of `queue`; each checked against its own reservation token,
   * a stale one deletes nothing and marks that job's lease lost) and reserves up to `max` jobs of
   * `queue`, atomically, in one round trip.
   */
  async deleteManyAndPop(jobs: readonly ReservedJob[], queue: string, max: number): Promise<ReservedJob[]> {
    const name = queue || this.config.queue
    for (const job of jobs) if (job.queue !== name) throw new TypeError(`deleteManyAndPop: job ${job.id} belongs to queue "${job.queue}", not "${name}"`)
    if (jobs.length === 1) {
      const job = jobs[0] as ReservedJob
      const one = await this.guard(this.pipe.deleteAndPop(queueKeys(name), job.id, job.reservationToken, Math.max(0, max), this.retryAfterMs))
      if (!one.deleted) markLost(job)
      return this.reserved(name, one)
    }
    const result = await this.guard(this.pipe.deleteManyAndPop(queueKeys(name), jobs.map(acknowledgement), Math.max(0, max), this.retryAfterMs))
    result.deleted.forEach((deleted, index) => {
      if (!deleted) markLost(jobs[index] as ReservedJob)
    })
    return this.reserved(name, result)
  }

  async size(queue?: string): Promise<number> {
    return this.guard(this.scripts.size(this.keys(queue)))
  }

  async clear(queue?: string): Promise<number> {
    return this.guard(this.scripts.clear(this.keys(queue)))
  }

  /**
   * Blocks on the server until a job is pushed to one of `queues`, up to `timeoutMs` (capped by the
   * connection's block_for, and by the next delayed job's due time). With block_for 0 it just sleeps.
   */
  async waitForJobs(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    const names = queues.length > 0 ? queues : [this.config.queue]
    let waitMs = timeoutMs
    for (const name of names) {
      const due = this.nextDue.get(name)
      if (due !== undefined) waitMs = Math.min(waitMs, Math.max(0, due - Date.now()))
    }
    if (!this.config.block_for || this.config.block_for <= 0) return sleep(waitMs, signal)
    waitMs = Math.min(waitMs, this.config.block_for * 1000)
    return this.waiter.wait(
      names.map((name) => queueKeys(name).notify),
      waitMs,
      signal,
    )
  }

  /** Warnings a worker prints at start (e.g. an eviction policy that can drop queued jobs). */
  async startupWarnings(): Promise<string[]> {
    const warning = await this.guard(checkEvictionPolicy(this.client))
    return warning ? [warning] : []
  }

  /** Closes the connections this driver opened (blocking, script pipe); the command connection belongs to the RedisManager. */
  async close(): Promise<void> {
    this.waiter.close()
    this.pipe.close()
  }

  /** @internal The reservation steps a RedisReservedJob calls back into. */
  async settle(job: RedisReservedJob, action: 'delete' | 'release' | 'touch', delaySeconds = 0): Promise<boolean> {
    const keys = this.keys(job.queue)
    switch (action) {
      case 'delete':
        return this.guard(this.scripts.delete(keys, job.id, job.reservationToken))
      case 'release':
        return this.guard(this.scripts.release(keys, job.id, job.reservationToken, delaySeconds * 1000))
      case 'touch':
        return this.guard(this.scripts.touch(keys, job.id, job.reservationToken, this.retryAfterMs))
    }
  }

  /** @internal Acknowledges `job` and stores `pushes` in one script; null (nothing stored) when its token no longer owns it. */
  deleteAndPush(job: RedisReservedJob, pushes: readonly FollowUpPush[]): Promise<string[] | null> {
    const bodies = pushes.map((push) => ({ keys: this.keys(push.queue), body: push.payload, delayMs: push.delay * 1000 }))
    return this.guard(this.scripts.deleteAndPush(this.keys(job.queue), job.id, job.reservationToken, bodies))
  }

  /**
   * One push script call. Written to a ready connection and then failed without a reply (not refused by
   * Redis), its jobs may be stored: they are withdrawn once Redis answers again (InDoubtPushes).
   */
  private push(keys: QueueKeys, bodies: string[], delayMs: number): Promise<string[]> {
    const piped = this.pipe.push(keys, bodies, delayMs)
    const written = piped !== undefined || this.client.status === 'ready'
    return (piped ?? this.scripts.push(keys, bodies, delayMs)).catch((error: unknown) => {
      if (written && mayHaveRun(error)) this.inDoubt.add(keys, bodies)
      throw error
    })
  }

  /** Runs `write` with both push connections corked (ioredis's and the pipe's). */
  private corked(write: () => void): void {
    // Before `ready` ioredis holds commands in its offline queue and writes them itself on connect.
    const stream = this.client.status === 'ready' ? this.client.stream : null
    stream?.cork()
    try {
      this.pipe.corked(write)
    } finally {
      stream?.uncork()
    }
  }

  private keys(queue: string | undefined): QueueKeys {
    return queueKeys(queue || this.config.queue)
  }

  private reserved(queue: string, result: PopResult): ReservedJob[] {
    if (result.nextDueMs === null) this.nextDue.delete(queue)
    else this.nextDue.set(queue, Date.now() + result.nextDueMs)
    return result.jobs.map((popped) => new RedisReservedJob(this, queue, popped))
  }

  /** Turns "cannot reach Redis" into a typed error naming the server; other errors pass unchanged. `map` shapes a result in the same step. */
  private guard<T>(operation: Promise<T>): Promise<T>
  private guard<T, R>(operation: Promise<T>, map: (value: T) => R): Promise<R>
  private guard<T, R>(operation: Promise<T>, map?: (value: T) => R): Promise<T | R> {
    return operation.then(map, (error: unknown) => {
      if (!isUnavailable(error)) throw error
      const reason = lastConnectionError(this.client)?.message ?? error.message
      throw new QueueUnavailableError(this.connectionName, this.redis.describe(this.config.connection), reason, error)
    })
  }
}

/** One reservation. Acknowledged by its token: a stale token (the lease expired) changes nothing. */
export class RedisReservedJob implements ReservedJob {
  readonly id: string
  readonly rawBody: string
  readonly attempts: number
  readonly reservationToken: string
  /** Set when delete/release/touch found the reservation gone (expired and handed out again, or cleared). */
  leaseLost = false

  constructor(
    private readonly driver: RedisQueue,
    readonly queue: string,
    popped: PoppedJob,
  ) {
    this.id = popped.id
    this.rawBody = popped.body
    this.attempts = popped.attempts
    this.reservationToken = popped.token
  }

  get connectionName(): string {
    return this.driver.connectionName
  }

  async delete(): Promise<void> {
    await this.settle('delete')
  }

  async release(delaySeconds: number): Promise<void> {
    await this.settle('release', delaySeconds)
  }

  /** Extends the reservation to now + retry_after. Call it every retry_after / 3 while the job runs. */
  async touch(): Promise<void> {
    await this.settle('touch')
  }

  /** Acknowledges this job and stores `pushes` (a chain's next link, batch callbacks) atomically; nothing when the lease was lost. */
  async deleteAndPush(pushes: readonly FollowUpPush[]): Promise<string[]> {
    const ids = await this.driver.deleteAndPush(this, pushes)
    if (ids === null) this.leaseLost = true
    return ids ?? []
  }

  private async settle(action: 'delete' | 'release' | 'touch', delaySeconds = 0): Promise<void> {
    if (!(await this.driver.settle(this, action, delaySeconds))) this.leaseLost = true
  }
}

function firstId(ids: string[]): string {
  return ids[0] as string
}

function markLost(job: ReservedJob): void {
  if (job instanceof RedisReservedJob) job.leaseLost = true
}

function acknowledgement(job: ReservedJob): { id: string; token: string } {
  return { id: job.id, token: job.reservationToken }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

import { jobNameOf, type Job, type JobMiddleware } from '../job.ts'
import { currentCacheStore, seconds } from './support.ts'

/**
 * Never runs two jobs with the same key at once (Laravel's WithoutOverlapping): the job holds an atomic
 * cache lock on `<job name>:<key>` while it runs, released when handle() returns or throws. A job that
 * finds the lock taken is released (after `.releaseAfter(seconds)`, at once by default) or, with
 * `.dontRelease()`, deleted. `new WithoutOverlapping(this.userId).releaseAfter(10).expireAfter(180)`.
 *
 * The lock lives in the default cache store: use database or redis when several workers run (the memory
 * store only sees its own process). A worker that dies holding the lock keeps it until it expires, so
 * set `.expireAfter()` to a bit more than the job's longest run. Every release is an attempt: raise the
 * job's `tries` or give it a `retryUntil()`.
 */
export class WithoutOverlapping implements JobMiddleware {
  readonly key: string
  /** Seconds before a job that found the lock taken is tried again; null deletes it instead. */
  releaseAfterSeconds: number | null = 0
  /** Seconds after which the lock expires on its own; 0 = held until released. */
  expiresAfterSeconds = 0
  /** The lock key is shared by every job class using the same key. */
  shareKey = false
  prefix = 'kiln-queue-overlap:'

  constructor(key: string | number = '') {
    this.key = String(key)
  }

  /** Seconds to wait before retrying a job that found the lock taken. */
  releaseAfter(releaseAfter: number): this {
    this.releaseAfterSeconds = seconds('WithoutOverlapping', 'releaseAfter', releaseAfter)
    return this
  }

  /** Deletes (instead of releasing) a job that found the lock taken. */
  dontRelease(): this {
    this.releaseAfterSeconds = null
    return this
  }

  /** Lets the lock expire after `expiresAfter` seconds, so a crashed worker cannot hold it forever. */
  expireAfter(expiresAfter: number): this {
    this.expiresAfterSeconds = seconds('WithoutOverlapping', 'expireAfter', expiresAfter)
    return this
  }

  /** Shares the lock between different job classes that use the same key. */
  shared(): this {
    this.shareKey = true
    return this
  }

  withPrefix(prefix: string): this {
    this.prefix = prefix
    return this
  }

  async handle(job: Job, next: () => Promise<void>): Promise<void> {
    const lock = currentCacheStore().lock(this.lockKey(job), this.expiresAfterSeconds)
    if (!(await lock.get())) {
      if (this.releaseAfterSeconds === null) job.delete()
      else job.release(this.releaseAfterSeconds)
      return
    }
    try {
      await next()
    } finally {
      await lock.release()
    }
  }

  /** The lock's name in the cache store. */
  lockKey(job: Job): string {
    return this.shareKey ? this.prefix + this.key : `${this.prefix}${jobNameOf(job)}:${this.key}`
  }
}

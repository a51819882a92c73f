import { describeError } from '../../support/errors.ts'
import { jobNameOf, type Job, type JobMiddleware } from '../job.ts'
import { InvalidJobMiddlewareError } from './errors.ts'
import { currentRateLimiter, RELEASE_MARGIN_SECONDS, seconds } from './support.ts'

/** Decides something about a thrown error. */
export type ErrorPredicate = (error: Error) => boolean
/** An error class, matched with instanceof. */
export type ErrorClass = abstract new (...args: never[]) => Error
/** Minutes to wait before the retry, fixed or computed from the error. */
export type BackoffMinutes = number | ((error: Error) => number)

/**
 * Stops hammering a failing dependency (Laravel's ThrottlesExceptions): once the job has thrown
 * `maxAttempts` errors within `decaySeconds`, later attempts are not run but released until that window
 * closes. `new ThrottlesExceptions(10, 5 * 60).backoff(5)`.
 *
 * Below the threshold the error is counted and then rethrown, so the worker treats it as any failed
 * attempt: it is reported (JobExceptionOccurred), counts towards `maxExceptions`, and on the last try the
 * job fails with this error in failed_jobs. (Laravel swallows it and releases the job instead.) With
 * `.backoff(minutes)` the retry waits that long; without it the job's own `backoff` (or --backoff)
 * applies. A success clears the count.
 *
 * Throttled attempts are releases, and every release is an attempt: give the job a `retryUntil()` (or a
 * high `tries`) so it can outlast the window, as Laravel recommends.
 */
export class ThrottlesExceptions implements JobMiddleware {
  private key: string | undefined
  private keyByJob = false
  private prefix = 'kiln_throttles_exceptions:'
  private backoffMinutes: BackoffMinutes | undefined
  private whenCallback: ErrorPredicate | undefined
  private readonly deleteWhenCallbacks: ErrorPredicate[] = []
  private readonly failWhenCallbacks: ErrorPredicate[] = []
  readonly maxAttempts: number
  readonly decaySeconds: number

  /** At most `maxAttempts` errors per `decaySeconds` (Laravel's defaults: 10 per 10 minutes). */
  constructor(maxAttempts = 10, decaySeconds = 600) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new InvalidJobMiddlewareError('ThrottlesExceptions', `maxAttempts must be a whole number >= 1, got ${String(maxAttempts)}`)
    this.maxAttempts = maxAttempts
    this.decaySeconds = seconds('ThrottlesExceptions', 'decaySeconds', decaySeconds, true)
  }

  /** Minutes (as in Laravel) to wait before retrying after an error below the threshold; or a function of the error. */
  backoff(minutes: BackoffMinutes): this {
    if (typeof minutes === 'number') seconds('ThrottlesExceptions', 'backoff (minutes)', minutes)
    this.backoffMinutes = minutes
    return this
  }

  /** Counts errors under `key` instead of per job class: jobs sharing a key share the throttle. */
  by(key: string | number): this {
    this.key = String(key)
    return this
  }

  /** Counts errors per dispatched job (its uuid) instead of per job class. */
  byJob(): this {
    this.keyByJob = true
    return this
  }

  /** Only errors for which `callback` is true are throttled; others are rethrown untouched. */
  when(callback: ErrorPredicate): this {
    this.whenCallback = callback
    return this
  }

  /** Deletes the job (no retry, no failure) when it throws an error of this class or matching this predicate. */
  deleteWhen(match: ErrorClass | ErrorPredicate): this {
    this.deleteWhenCallbacks.push(predicate(match))
    return this
  }

  /** Fails the job for good when it throws an error of this class or matching this predicate. */
  failWhen(match: ErrorClass | ErrorPredicate): this {
    this.failWhenCallbacks.push(predicate(match))
    return this
  }

  /** Replaces the prefix of the counter's cache key. */
  withPrefix(prefix: string): this {
    this.prefix = prefix
    return this
  }

  async handle(job: Job, next: () => Promise<void>): Promise<void> {
    const limiter = currentRateLimiter()
    const key = this.keyFor(job)
    if (await limiter.tooManyAttempts(key, this.maxAttempts)) {
      job.release((await limiter.availableIn(key)) + RELEASE_MARGIN_SECONDS)
      return
    }
    try {
      await next()
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(describeError(thrown))
      if (this.whenCallback && !this.whenCallback(error)) throw thrown
      if (this.deleteWhenCallbacks.some((matches) => matches(error))) return job.delete()
      if (this.failWhenCallbacks.some((matches) => matches(error))) return job.fail(error)
      await limiter.hit(key, this.decaySeconds)
      if (this.backoffMinutes !== undefined) job.release(this.retryDelay(error))
      throw thrown
    }
    await limiter.clear(key)
  }

  /** The counter's cache key: the explicit key, the job's uuid, or the job's name. */
  keyFor(job: Job): string {
    if (this.key !== undefined) return this.prefix + this.key
    if (this.keyByJob) return this.prefix + job.job.uuid
    return this.prefix + jobNameOf(job)
  }

  private retryDelay(error: Error): number {
    const minutes = typeof this.backoffMinutes === 'function' ? this.backoffMinutes(error) : (this.backoffMinutes ?? 0)
    return Math.max(0, Math.ceil(minutes * 60))
  }
}

function predicate(match: ErrorClass | ErrorPredicate): ErrorPredicate {
  if (isErrorClass(match)) return (error) => error instanceof match
  return match
}

function isErrorClass(match: ErrorClass | ErrorPredicate): match is ErrorClass {
  return match === Error || match.prototype instanceof Error
}

import { RateLimiter } from '../../cache/rate-limiter.ts'
import type { Job, JobMiddleware } from '../job.ts'
import { InvalidJobMiddlewareError } from './errors.ts'
import { currentRateLimiter, RELEASE_MARGIN_SECONDS } from './support.ts'

/**
 * Runs the job only within a named rate limit (Laravel's RateLimited job middleware):
 *
 *   RateLimiter.for('emails', (job: SendEmail) => Limit.perMinute(100).by(job.userId))   // at boot
 *   middleware() { return [new RateLimited('emails')] }                                  // in the job
 *
 * Over the limit, the job is released until the window reopens, never failed; `.dontRelease()` deletes it
 * instead. The counters live in the rate limiter's cache store (`cache.limiter`, else the default store),
 * so with the database or redis store the limit holds across workers and machines.
 *
 * Each release is an attempt: a job that may wait for several windows needs a high `tries` (or 0) or,
 * better, a `retryUntil()`, as in Laravel. Unlike Laravel, a limiter name that was never defined in the
 * worker process is an error (E_UNKNOWN_RATE_LIMITER), not a silent "unlimited".
 */
export class RateLimited implements JobMiddleware {
  /** Release the job when over the limit (true) or delete it (false). */
  shouldRelease = true

  constructor(readonly limiterName: string) {
    if (limiterName.trim() === '') throw new InvalidJobMiddlewareError('RateLimited', 'the limiter name is empty')
  }

  /** Over the limit, delete the job instead of releasing it. */
  dontRelease(): this {
    this.shouldRelease = false
    return this
  }

  async handle(job: Job, next: () => Promise<void>): Promise<void> {
    const limiter = currentRateLimiter()
    for (const limit of await limiter.limits(this.limiterName, job)) {
      if (limit.unlimited) continue
      // Counting first and checking the count is one atomic step in the store: two workers racing for
      // the last slot cannot both get it (Laravel's check-then-hit can let both through).
      const result = await limiter.consume(RateLimiter.limiterKey(this.limiterName, limit), limit.maxAttempts, limit.decaySeconds)
      if (!result.allowed) {
        // Stop at the first exceeded limit, so a job that does not run spends nothing from later limits.
        if (this.shouldRelease) job.release(result.availableIn + RELEASE_MARGIN_SECONDS)
        else job.delete()
        return
      }
    }
    await next()
  }
}

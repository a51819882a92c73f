/**
 * Job middleware (Laravel's Illuminate\Queue\Middleware): wrap a job's handle() from its middleware().
 *
 *   import { RateLimited, Skip, ThrottlesExceptions, WithoutOverlapping } from '#kiln/queue/middleware/index'
 *
 *   class SendNewsletter extends QueuedJob {
 *     override tries = 0
 *     override retryUntil() { return new Date(Date.now() + 3_600_000) }
 *     override middleware() {
 *       return [Skip.when(() => this.unsubscribed), new RateLimited('emails'), new WithoutOverlapping(this.userId).releaseAfter(10)]
 *     }
 *   }
 *
 * Releases made by these middleware count as attempts: give such jobs a retryUntil() or a high tries.
 */
export { RateLimited } from './rate-limited.ts'
export { ThrottlesExceptions, type BackoffMinutes, type ErrorClass, type ErrorPredicate } from './throttles-exceptions.ts'
export { WithoutOverlapping } from './without-overlapping.ts'
export { Skip, type SkipCondition } from './skip.ts'
export { InvalidJobMiddlewareError } from './errors.ts'
export { Limit, RateLimiter } from '../../cache/rate-limiter.ts'

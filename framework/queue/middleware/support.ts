import type { CacheStore } from '../../cache/contracts.ts'
import type { RateLimiter } from '../../cache/rate-limiter.ts'
import { Application } from '../../foundation/application.ts'
import { InvalidJobMiddlewareError } from './errors.ts'

/**
 * Middleware reach the cache through the running application, when the job runs (Laravel's
 * `Container::getInstance()`): middleware() is built on the worker, so this is the worker's app.
 */
export function currentRateLimiter(): RateLimiter {
  return Application.current().make('rateLimiter')
}

/** The default cache store: where overlap locks live (Laravel's WithoutOverlapping uses it too). */
export function currentCacheStore(): CacheStore {
  return Application.current().make('cache').store()
}

/**
 * Added to a rate limiter's "available in" before a job is released: stores expire keys on whole seconds
 * (the database store rounds up), so a counter can outlive its timer by up to a second, and a job back a
 * moment too early only spends an attempt to be released again. Laravel adds 3 for the same reason.
 */
export const RELEASE_MARGIN_SECONDS = 1

/** A whole number of seconds, >= 0 (or >= 1 when `positive`); a clear error otherwise. */
export function seconds(middleware: string, name: string, value: number, positive = false): number {
  const min = positive ? 1 : 0
  if (!Number.isFinite(value) || value < min) throw new InvalidJobMiddlewareError(middleware, `${name} must be a number of seconds >= ${min}, got ${String(value)}`)
  return Math.ceil(value)
}

import { UnknownRateLimiterError } from './errors.ts'
import type { Limit } from './limit.ts'

/** A named limiter: given the thing being limited (a job, a request), the limits that apply to it. */
export type LimiterCallback<S = never> = (subject: S) => Limit | Limit[] | Promise<Limit | Limit[]>

/**
 * Named limiter definitions (`RateLimiter.for('emails', ...)`). They are closures, so every process defines
 * them at boot (app code that both the dispatcher and the workers load); only the counters are shared,
 * in the cache store.
 */
export class RateLimiterRegistry {
  private readonly limiters = new Map<string, LimiterCallback<unknown>>()

  define<S>(name: string, callback: LimiterCallback<S>): void {
    this.limiters.set(name, callback as LimiterCallback<unknown>)
  }

  has(name: string): boolean {
    return this.limiters.has(name)
  }

  names(): string[] {
    return [...this.limiters.keys()]
  }

  /** The limits for `subject`; throws E_UNKNOWN_RATE_LIMITER when `name` was never defined. */
  async limits(name: string, subject: unknown): Promise<Limit[]> {
    const callback = this.limiters.get(name)
    if (!callback) throw new UnknownRateLimiterError(name, this.names())
    const limits = await callback(subject)
    return Array.isArray(limits) ? limits : [limits]
  }

  /** Forgets every definition (tests). */
  clear(): void {
    this.limiters.clear()
  }
}

/** The process's definitions, filled by `RateLimiter.for()` at boot. */
export const rateLimiters = new RateLimiterRegistry()

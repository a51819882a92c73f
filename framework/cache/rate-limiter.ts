import { createHash } from 'node:crypto'
import type { CacheStore } from './contracts.ts'
import type { Limit } from './limit.ts'
import { rateLimiters, type LimiterCallback, type RateLimiterRegistry } from './rate-limiter-registry.ts'

export { Limit } from './limit.ts'

export interface RateLimitResult {
  allowed: boolean
  /** Hits in the current window, this one included. */
  hits: number
  remaining: number
  /** Seconds until the window reopens (0 when allowed). */
  availableIn: number
}

/**
 * Laravel's RateLimiter on a cache store: a counter per key that lives `decaySeconds`, and a `:timer` key
 * holding when the window reopens. Counting is the store's atomic add + increment, so a limit holds across
 * processes and machines sharing the store (database or redis; the memory store is per process).
 */
export class RateLimiter {
  constructor(
    private readonly cache: CacheStore,
    private readonly registry: RateLimiterRegistry = rateLimiters,
  ) {}

  /** Defines a named limiter in the process's registry: `RateLimiter.for('emails', job => Limit.perMinute(100).by(job.userId))`. */
  static for<S>(name: string, callback: LimiterCallback<S>): void {
    rateLimiters.define(name, callback)
  }

  /** The limits a named limiter gives for `subject` (E_UNKNOWN_RATE_LIMITER when undefined). */
  limits(name: string, subject: unknown): Promise<Limit[]> {
    return this.registry.limits(name, subject)
  }

  /**
   * Runs `callback` unless `key` has had `maxAttempts` in the window; returns its result (true when it
   * returns nothing), or false when over the limit. The hit is counted before the callback runs, so two
   * processes racing for the last slot cannot both get it.
   */
  async attempt<T>(key: string, maxAttempts: number, callback: () => T | Promise<T>, decaySeconds = 60): Promise<Exclude<T, void | undefined> | true | false> {
    if (!(await this.consume(key, maxAttempts, decaySeconds)).allowed) return false
    const result = await callback()
    return (result ?? true) as Exclude<T, void | undefined> | true
  }

  /** Counts one hit and says whether it was within the limit, atomically. */
  async consume(key: string, maxAttempts: number, decaySeconds = 60): Promise<RateLimitResult> {
    const hits = await this.hit(key, decaySeconds)
    const allowed = hits <= maxAttempts
    return { allowed, hits, remaining: Math.max(0, maxAttempts - hits), availableIn: allowed ? 0 : await this.availableIn(key) }
  }

  /**
   * Counts one hit against every limit of a named limiter (what the RateLimited job middleware needs);
   * not allowed when any limit is exceeded, with the longest wait.
   */
  async consumeFor(name: string, subject: unknown): Promise<RateLimitResult> {
    const results: RateLimitResult[] = []
    for (const limit of await this.limits(name, subject)) {
      if (limit.unlimited) continue
      results.push(await this.consume(RateLimiter.limiterKey(name, limit), limit.maxAttempts, limit.decaySeconds))
    }
    const blocked = results.filter((result) => !result.allowed)
    return {
      allowed: blocked.length === 0,
      hits: Math.max(0, ...results.map((result) => result.hits)),
      remaining: Math.min(Number.POSITIVE_INFINITY, ...results.map((result) => result.remaining)),
      availableIn: Math.max(0, ...blocked.map((result) => result.availableIn)),
    }
  }

  async tooManyAttempts(key: string, maxAttempts: number): Promise<boolean> {
    if ((await this.attempts(key)) < maxAttempts) return false
    if (await this.cache.has(timerKey(key))) return true
    // The counter outlived its timer (a crash between the two writes): start over.
    await this.clear(key)
    return false
  }

  /** Adds `amount` hits in a window of `decaySeconds` opened by the first hit; returns the hits so far. */
  async hit(key: string, decaySeconds = 60, amount = 1): Promise<number> {
    await this.cache.add(timerKey(key), Date.now() / 1000 + decaySeconds, decaySeconds)
    // One atomic step creates the counter with its TTL or adds to it. (Laravel's add-then-increment, with a
    // put to repair a counter that expired in between, loses hits when processes race on a new window.)
    return this.cache.increment(key, amount, decaySeconds)
  }

  async attempts(key: string): Promise<number> {
    return (await this.cache.get<number>(key)) ?? 0
  }

  async remaining(key: string, maxAttempts: number): Promise<number> {
    return Math.max(0, maxAttempts - (await this.attempts(key)))
  }

  /** Whole seconds until `key`'s window reopens (0 when it is open). */
  async availableIn(key: string): Promise<number> {
    const reopensAt = await this.cache.get<number>(timerKey(key))
    return reopensAt === undefined ? 0 : Math.max(0, Math.ceil(reopensAt - Date.now() / 1000))
  }

  async resetAttempts(key: string): Promise<void> {
    await this.cache.forget(key)
  }

  async clear(key: string): Promise<void> {
    await this.cache.forget(key)
    await this.cache.forget(timerKey(key))
  }

  /** The counter key of one limit of a named limiter (Laravel's RateLimited: md5(name . key)). */
  static limiterKey(name: string, limit: Limit): string {
    return createHash('md5').update(name + limit.key).digest('hex')
  }
}

function timerKey(key: string): string {
  return `${key}:timer`
}

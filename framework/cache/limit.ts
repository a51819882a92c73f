/**
 * One rate limit: at most `maxAttempts` per `decaySeconds`, counted per `key` (Laravel's
 * `Illuminate\Cache\RateLimiting\Limit`). `Limit.perMinute(100).by(job.userId)`.
 */
export class Limit {
  constructor(
    readonly maxAttempts: number,
    readonly decaySeconds: number,
    public key = '',
  ) {}

  static perSecond(maxAttempts: number, decaySeconds = 1): Limit {
    return new Limit(maxAttempts, decaySeconds)
  }

  static perMinute(maxAttempts: number, decayMinutes = 1): Limit {
    return new Limit(maxAttempts, 60 * decayMinutes)
  }

  static perMinutes(decayMinutes: number, maxAttempts: number): Limit {
    return new Limit(maxAttempts, 60 * decayMinutes)
  }

  static perHour(maxAttempts: number, decayHours = 1): Limit {
    return new Limit(maxAttempts, 3600 * decayHours)
  }

  static perDay(maxAttempts: number, decayDays = 1): Limit {
    return new Limit(maxAttempts, 86_400 * decayDays)
  }

  /** No limit at all (a limiter callback can return this for trusted subjects). */
  static none(): Limit {
    return new Limit(Number.POSITIVE_INFINITY, 60)
  }

  /** Counts separately per key: a user id, an IP, a tenant. */
  by(key: string | number): this {
    this.key = String(key)
    return this
  }

  get unlimited(): boolean {
    return this.maxAttempts === Number.POSITIVE_INFINITY
  }
}

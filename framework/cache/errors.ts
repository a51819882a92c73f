import { KilnError } from '../support/errors.ts'

export class UnknownCacheStoreError extends KilnError {
  constructor(name: string, configured: string[]) {
    super('E_UNKNOWN_CACHE_STORE', `Cache store "${name}" is not configured. Configured stores: ${configured.join(', ') || '(none)'} (config/cache.ts).`)
  }
}

/** `lock.block(seconds)` gave up: another owner held the lock the whole time. */
export class LockTimeoutError extends KilnError {
  constructor(name: string, seconds: number) {
    super('E_LOCK_TIMEOUT', `Could not acquire the lock "${name}" within ${seconds} s: another process holds it. Wait longer, or forceRelease() it if its owner died.`)
  }
}

/** `increment()` on a key whose value is not a number. */
export class NonNumericCacheValueError extends KilnError {
  constructor(key: string) {
    super('E_CACHE_NOT_NUMERIC', `The cache value at "${key}" is not a number, so it cannot be incremented. Forget the key or use another one.`)
  }
}

export class UnknownRateLimiterError extends KilnError {
  constructor(name: string, defined: string[]) {
    super('E_UNKNOWN_RATE_LIMITER', `No rate limiter is named "${name}". Define it at boot with RateLimiter.for("${name}", (subject) => Limit.perMinute(60)). Defined: ${defined.join(', ') || '(none)'}.`)
  }
}

/** The database cache store's tables do not exist yet. */
export class CacheTableMissingError extends KilnError {
  constructor(table: string, lockTable: string, cause: unknown) {
    super(
      'E_CACHE_TABLE_MISSING',
      `The cache tables "${table}" / "${lockTable}" do not exist. Run \`craft migrate\` (the skeleton ships create_cache_table; \`craft cache:table\` generates it), or set CACHE_STORE=memory or redis.`,
      { cause },
    )
  }
}

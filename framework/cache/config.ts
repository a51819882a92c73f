export interface MemoryStoreConfig {
  driver: 'memory'
}

export interface DatabaseStoreConfig {
  driver: 'database'
  /** A connection from config/database.ts; the default connection when unset. */
  connection?: string
  table: string
  /** Where atomic locks live; `cache_locks` when unset. */
  lock_table?: string
}

export interface RedisStoreConfig {
  driver: 'redis'
  /** A connection from config/redis.ts. */
  connection: string
  /** Overrides the cache-wide prefix for this store's keys. */
  prefix?: string
}

export type CacheStoreConfig = MemoryStoreConfig | DatabaseStoreConfig | RedisStoreConfig
export type CacheDriver = CacheStoreConfig['driver']

export interface CacheConfig {
  /** The store used when none is named (CACHE_STORE). */
  default: string
  stores: Record<string, CacheStoreConfig>
  /** Prepended to every key, so apps sharing a Redis or a table do not collide. */
  prefix: string
  /** The store the RateLimiter counts in; the default store when unset. */
  limiter?: string
}

export function defineCacheConfig(config: CacheConfig): CacheConfig {
  return config
}

import { defineCacheConfig } from '#kiln/cache/config'
import { env } from '#kiln/foundation/env'

export default defineCacheConfig({
  // memory | database | redis
  default: env.string('CACHE_STORE', 'database'),

  stores: {
    memory: { driver: 'memory' },

    database: {
      driver: 'database',
      connection: env.string('DB_CACHE_CONNECTION', '') || undefined,
      table: env.string('DB_CACHE_TABLE', 'cache'),
      lock_table: env.string('DB_CACHE_LOCK_TABLE', '') || undefined,
    },

    redis: {
      driver: 'redis',
      connection: env.string('REDIS_CACHE_CONNECTION', 'cache'),
    },
  },

  // Keys of every store start with this, so apps sharing a cache table or Redis do not collide.
  prefix: env.string('CACHE_PREFIX', `${env.string('APP_NAME', 'kiln').toLowerCase().replace(/[^a-z0-9]+/g, '_')}_cache_`),

  // The store the RateLimiter counts in (job middleware, RateLimiter.attempt); the default store when unset.
  limiter: env.string('CACHE_LIMITER', '') || undefined,
})

import { env } from '#kiln/foundation/env'
import { defineRedisConfig } from '#kiln/redis/config'

export default defineRedisConfig({
  options: {
    // Keys of every connection start with this, so apps sharing one Redis server do not collide.
    prefix: env.string('REDIS_PREFIX', `${env.string('APP_NAME', 'kiln').toLowerCase().replace(/[^a-z0-9]+/g, '_')}_database_`),
  },

  connections: {
    default: {
      url: env.string('REDIS_URL', '') || undefined,
      host: env.string('REDIS_HOST', '127.0.0.1'),
      port: env.number('REDIS_PORT', 6379),
      username: env.string('REDIS_USERNAME', '') || undefined,
      password: env.string('REDIS_PASSWORD', '') || undefined,
      db: env.number('REDIS_DB', 0),
      tls: env.boolean('REDIS_TLS', false),
    },

    cache: {
      url: env.string('REDIS_URL', '') || undefined,
      host: env.string('REDIS_HOST', '127.0.0.1'),
      port: env.number('REDIS_PORT', 6379),
      username: env.string('REDIS_USERNAME', '') || undefined,
      password: env.string('REDIS_PASSWORD', '') || undefined,
      db: env.number('REDIS_CACHE_DB', 1),
      tls: env.boolean('REDIS_TLS', false),
    },
  },
})

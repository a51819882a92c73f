import { env } from '#kiln/foundation/env'
import { defineQueueConfig } from '#kiln/queue/config'

export default defineQueueConfig({
  // sync | database | redis | null
  default: env.string('QUEUE_CONNECTION', 'database'),

  connections: {
    sync: { driver: 'sync' },

    database: {
      driver: 'database',
      connection: env.string('DB_QUEUE_CONNECTION', '') || undefined,
      table: env.string('DB_QUEUE_TABLE', 'jobs'),
      queue: env.string('DB_QUEUE', 'default'),
      retry_after: env.number('DB_QUEUE_RETRY_AFTER', 90),
      // Off by default: prefetched jobs count an attempt at the claim, so a killed worker's come back with
      // one counted although they never ran (see framework/queue/worker/prefetch-buffer.ts).
      prefetch: env.number('DB_QUEUE_PREFETCH', 0),
      after_commit: false,
    },

    redis: {
      driver: 'redis',
      connection: env.string('REDIS_QUEUE_CONNECTION', 'default'),
      queue: env.string('REDIS_QUEUE', 'default'),
      retry_after: env.number('REDIS_QUEUE_RETRY_AFTER', 90),
      block_for: env.number('REDIS_QUEUE_BLOCK_FOR', 5),
      after_commit: false,
    },

    null: { driver: 'null' },
  },

  failed: {
    // env() casts the text `null` to null, so both spellings select the null store.
    driver: [null, 'null'].includes(env('QUEUE_FAILED_DRIVER', 'database') as string | null) ? 'null' : 'database',
    database: env.string('DB_CONNECTION', 'sqlite'),
    table: 'failed_jobs',
  },

  batching: { database: env.string('DB_CONNECTION', 'sqlite'), table: 'job_batches' },
})

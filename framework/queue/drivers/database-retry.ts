import { setTimeout as sleep } from 'node:timers/promises'
import type { QueueDialect } from './database-dialect.ts'

/**
 * Runs `operation` again when the server reports transient contention (SQLITE_BUSY beyond
 * busy_timeout, an InnoDB deadlock, a PostgreSQL deadlock), with jittered exponential backoff, instead
 * of surfacing it to the worker. Only for statements (or transactions) the driver owns entirely.
 */
export async function retryOnContention<T>(dialect: QueueDialect, operation: () => Promise<T>, maxAttempts = 25): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (attempt >= maxAttempts || !dialect.isRetryable(error)) throw error
      await sleep(Math.min(1000, 4 * 2 ** attempt) * (0.5 + Math.random()))
    }
  }
}

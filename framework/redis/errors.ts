import { KilnError } from '../support/errors.ts'

export class UnknownRedisConnectionError extends KilnError {
  constructor(name: string, configured: string[]) {
    super(
      'E_UNKNOWN_REDIS_CONNECTION',
      `Redis connection "${name}" is not configured. Configured connections: ${configured.join(', ') || '(none)'} (config/redis.ts).`,
    )
  }
}

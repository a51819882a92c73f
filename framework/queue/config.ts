export interface SyncConnectionConfig {
  driver: 'sync'
}

export interface NullConnectionConfig {
  driver: 'null'
}

export interface DatabaseQueueConnectionConfig {
  driver: 'database'
  /** Database connection name from config/database.ts; the default connection when omitted. */
  connection?: string
  table: string
  /** The queue used when a job names none. */
  queue: string
  /** Seconds after which a reservation whose worker never acknowledged it is handed out again. */
  retry_after: number
  /** Dispatch only after the surrounding transaction commits. */
  after_commit?: boolean
  /** Jobs a worker reserves ahead of its free slots (`queue:work --prefetch`); 0 or absent = off. */
  prefetch?: number
}

export interface RedisQueueConnectionConfig {
  driver: 'redis'
  /** Redis connection name from config/redis.ts (or the `redis` section). */
  connection: string
  queue: string
  retry_after: number
  /** Seconds a worker's blocking pop waits on the server before looping (0 = no blocking). */
  block_for: number | null
  after_commit?: boolean
}

export type QueueConnectionConfig =
  | SyncConnectionConfig
  | NullConnectionConfig
  | DatabaseQueueConnectionConfig
  | RedisQueueConnectionConfig

export type QueueDriverName = QueueConnectionConfig['driver']

export interface FailedJobsConfig {
  driver: 'database' | 'null'
  /** Database connection for failed_jobs; the default connection when omitted. */
  database?: string
  table: string
}

export interface QueueConfig {
  /** QUEUE_CONNECTION: the connection used when a job names none. */
  default: string
  connections: Record<string, QueueConnectionConfig>
  failed: FailedJobsConfig
  /** Table of job batches (Bus.batch); `marks_table` (default job_batch_marks) records which jobs were counted. */
  batching?: { database?: string; table: string; marks_table?: string }
}

export function defineQueueConfig(config: QueueConfig): QueueConfig {
  return config
}

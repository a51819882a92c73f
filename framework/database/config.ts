export interface SqliteConnectionConfig {
  driver: 'sqlite'
  /** File path, relative to the app's base path, or ':memory:'. */
  database: string
  foreignKeys?: boolean
  /** How long a statement waits on a locked database before SQLITE_BUSY (ms). */
  busyTimeout?: number
}

export interface ServerConnectionConfig {
  driver: 'pgsql' | 'mysql'
  /** A connection URL; when set it wins over host/port/database/username/password. */
  url?: string
  host: string
  port: number
  database: string
  username: string
  password: string
  /** PostgreSQL search_path schema. */
  schema?: string
  pool?: { min?: number; max?: number }
  /**
   * Milliseconds to wait for the server to accept a new connection before giving up (default 2000), so
   * a server that is down or unreachable fails a query within seconds instead of hanging it. Waiting for
   * a free connection of a busy pool is not bounded by it.
   */
  connectTimeout?: number
}

export type ConnectionConfig = SqliteConnectionConfig | ServerConnectionConfig
export type DatabaseDriver = ConnectionConfig['driver']

export interface DatabaseConfig {
  /** The connection used when none is named (DB_CONNECTION). */
  default: string
  connections: Record<string, ConnectionConfig>
  migrations: { table: string }
}

export function defineDatabaseConfig(config: DatabaseConfig): DatabaseConfig {
  return config
}

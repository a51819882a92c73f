import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import type { Knex } from 'knex'
import type { ConnectionConfig, DatabaseConfig } from './config.ts'
import { UnknownDatabaseConnectionError } from './errors.ts'
import { attachServerStart, recordServerStart, type ServerStart } from './server-start.ts'
import { configEntry, NamedInstances } from '../support/named-instances.ts'

/**
 * Knex connections by name, built on first use and cached. knex and the database client libraries are
 * imported only then, so commands that never touch a database never load them.
 */
export class DatabaseManager {
  private readonly connections = new NamedInstances<Promise<Knex>>((name) => this.open(this.connectionConfig(name)))

  constructor(
    private readonly config: DatabaseConfig,
    private readonly basePath: string,
  ) {}

  get defaultConnection(): string {
    return this.config.default
  }

  connectionNames(): string[] {
    return Object.keys(this.config.connections)
  }

  connectionConfig(name = this.config.default): ConnectionConfig {
    const config = configEntry(this.config.connections, name)
    if (!config) throw new UnknownDatabaseConnectionError(name, this.connectionNames())
    return config
  }

  connection(name = this.config.default): Promise<Knex> {
    return this.connections.get(name)
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.drain().map(async (pending) => (await pending.catch(() => undefined))?.destroy()))
  }

  private async open(config: ConnectionConfig): Promise<Knex> {
    const { default: knex } = await import('knex')
    const knexConfig = this.knexConfig(config)
    if (config.driver === 'sqlite') return knex({ ...knexConfig, log: knexLog })
    const start: ServerStart = {}
    const db = knex({ ...knexConfig, pool: { ...knexConfig.pool, afterCreate: recordServerStart(config.driver, start) }, log: knexLog })
    attachServerStart(db, start)
    return db
  }

  /** The knex configuration for a connection; exported for tools that need a raw client. */
  knexConfig(config: ConnectionConfig): Knex.Config {
    if (config.driver === 'sqlite') {
      const filename = config.database === ':memory:' || isAbsolute(config.database) ? config.database : join(this.basePath, config.database)
      if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
      const busyTimeout = config.busyTimeout ?? 5000
      const foreignKeys = config.foreignKeys !== false
      return {
        client: 'better-sqlite3',
        connection: { filename },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate(conn: { pragma(sql: string): unknown }, done: (error: Error | null, conn: unknown) => void) {
            // WAL lets readers and one writer work at once; busy_timeout makes writers wait instead of SQLITE_BUSY.
            try {
              conn.pragma('journal_mode = WAL')
              conn.pragma('synchronous = NORMAL')
              conn.pragma(`busy_timeout = ${busyTimeout}`)
              conn.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`)
              done(null, conn)
            } catch (error) {
              done(error as Error, conn)
            }
          },
        },
      }
    }
    const connectTimeout = config.connectTimeout ?? 2000
    const timeout = config.driver === 'pgsql' ? { connectionTimeoutMillis: connectTimeout } : { connectTimeout }
    const target = config.url
      ? config.driver === 'pgsql'
        ? { connectionString: config.url }
        : { uri: config.url }
      : { host: config.host, port: config.port, database: config.database, user: config.username, password: config.password }
    const connection = { ...target, ...timeout }
    return {
      client: config.driver === 'pgsql' ? 'pg' : 'mysql2',
      connection,
      pool: { min: config.pool?.min ?? 0, max: config.pool?.max ?? 10 },
      ...(config.driver === 'pgsql' && config.schema ? { searchPath: [config.schema] } : {}),
    }
  }
}

/**
 * knex prints every failed connection attempt with its stack to stdout. The same error also rejects the
 * query that needed the connection, and that is where it is reported (one line, see connection-check.ts),
 * so those warnings are dropped; other warnings go to stderr.
 */
const knexLog = {
  warn(message: unknown) {
    if (typeof message === 'string' && message.startsWith('Acquire connection error')) return
    // A pooled connection the server dropped (a restart) is discarded; the next query opens another or says why not.
    if (typeof message === 'string' && message.startsWith('Connection Error')) return
    process.stderr.write(`knex: ${String(message)}\n`)
  },
}

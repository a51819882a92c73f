/**
 * The four backends the soak runs on: the database driver on SQLite, PostgreSQL and MariaDB, and Redis.
 * Each gets a throwaway database (and for Redis a key prefix of its own), migrated by the real
 * `craft migrate`, plus the env that points `craft queue:work` at it and a driver to dispatch through.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { Application } from '../framework/foundation/application.ts'
import type { ConnectionConfig } from '../framework/database/config.ts'
import type { QueueDriver } from '../framework/queue/contracts.ts'
import { repoRoot, runCraft } from '../tests/support/craft.ts'
import { createTestDatabase, probeService, SERVICES, type TestDatabase } from '../tests/support/services.ts'
import type { PrivateServer } from './private-servers.ts'

export type BackendName = 'sqlite' | 'pgsql' | 'mysql' | 'redis'
export const BACKENDS: BackendName[] = ['sqlite', 'pgsql', 'mysql', 'redis']

export const soakApp = join(repoRoot, 'tests', 'fixtures', 'soak-app')

/** The short lease of every soak connection: a killed worker's jobs come back this many seconds later. */
export const RETRY_AFTER = 5

export interface FailedRow {
  uuid: string
  queue: string
  payload: string
  exception: string
}

export interface Backend {
  name: BackendName
  /** `database/sqlite`, `redis`: the driver column of the report. */
  label: string
  /** The queue connection workers are told to work. */
  connection: 'database' | 'redis'
  /** Env for every `craft` child (the ledger path is added by the caller). */
  env: Record<string, string>
  driver: QueueDriver
  /** The soak's own application on this backend (dispatching, batches), made current before each scenario. */
  app: Application
  failedJobs(): Promise<FailedRow[]>
  /** Empties the queues and failed_jobs between scenarios (SQL: a fresh jobs table, no dead rows left by the last scenario). */
  reset(queues: string[]): Promise<void>
  close(): Promise<void>
}

/** True when the backend's server answers (SQLite always does). */
export async function backendAvailable(name: BackendName): Promise<boolean> {
  return name === 'sqlite' ? true : probeService(name === 'redis' ? 'redis' : name)
}

export interface OpenBackendOptions {
  /** A private server (soak/private-servers.ts) to use instead of the shared one, for outage scenarios. */
  server?: PrivateServer
}

export async function openBackend(name: BackendName, options: OpenBackendOptions = {}): Promise<Backend> {
  const { server } = options
  // Redis keeps failed jobs and nothing else in SQL: a SQLite file of its own.
  const database = server && (name === 'pgsql' || name === 'mysql') ? privateDatabase(name, server) : await createTestDatabase(name === 'redis' ? 'sqlite' : name)
  const prefix = `kiln_soak_${randomBytes(4).toString('hex')}_`
  const redisServer = server && name === 'redis' ? { host: server.host, port: server.port } : SERVICES.redis
  const env = { ...sqlEnv(database), APP_ENV: 'testing', APP_KEY: '', NO_COLOR: '1', ...(name === 'redis' ? redisEnv(prefix, redisServer) : databaseQueueEnv()) }
  const migrated = await runCraft(['migrate', '--force'], { basePath: soakApp, env, timeoutMs: 60_000 })
  if (migrated.code !== 0) {
    await database.drop()
    throw new Error(`craft migrate failed on ${name}: ${migrated.stderr}${migrated.stdout}`)
  }
  const { host, port } = redisServer
  const app = await Application.create({
    basePath: soakApp,
    loadEnv: false,
    config: {
      database: { default: 'soak', connections: { soak: database.config } },
      redis: { options: { prefix }, connections: { default: { host, port, db: 0 } } },
      // Batches dispatched here (scenario 9) are counted in the job_batches table the workers use.
      queue: { batching: { database: 'soak', table: 'job_batches' } },
    },
  })
  const connection = name === 'redis' ? 'redis' : 'database'
  const driver = await app.make('queue').connection(connection)
  const db: Knex = await app.make('db').connection()
  return {
    name,
    label: name === 'redis' ? 'redis' : `database/${name}`,
    connection,
    env,
    app,
    driver,
    failedJobs: () => db('failed_jobs').select('uuid', 'queue', 'payload', 'exception').orderBy('id'),
    async reset(queues) {
      if (connection === 'database') await db('jobs').truncate()
      else for (const queue of queues) await driver.clear(queue)
      await db('failed_jobs').delete()
    },
    async close() {
      try {
        if (name === 'redis' && !server) await deleteRedisKeys(prefix)
      } finally {
        await app.shutdown()
        await database.drop()
      }
    },
  }
}

function sqlEnv(database: TestDatabase): Record<string, string> {
  const config = database.config as ConnectionConfig & { database: string; host?: string; port?: number; username?: string; password?: string }
  if (config.driver === 'sqlite') return { DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: config.database }
  return {
    DB_CONNECTION: config.driver,
    DB_HOST: String(config.host),
    DB_PORT: String(config.port),
    DB_DATABASE: config.database,
    DB_USERNAME: String(config.username),
    DB_PASSWORD: String(config.password ?? ''),
  }
}

function databaseQueueEnv(): Record<string, string> {
  return { QUEUE_CONNECTION: 'database', CACHE_STORE: 'database', DB_QUEUE_RETRY_AFTER: String(RETRY_AFTER) }
}

function redisEnv(prefix: string, { host, port }: { host: string; port: number }): Record<string, string> {
  return {
    QUEUE_CONNECTION: 'redis',
    REDIS_HOST: host,
    REDIS_PORT: String(port),
    REDIS_DB: '0',
    REDIS_CACHE_DB: '1',
    REDIS_PREFIX: prefix,
    REDIS_QUEUE_RETRY_AFTER: String(RETRY_AFTER),
    REDIS_QUEUE_BLOCK_FOR: '1',
    CACHE_STORE: 'redis',
    CACHE_PREFIX: `${prefix}cache_`,
  }
}

/** The private server's own database: it goes away with the server, so there is nothing to drop. */
function privateDatabase(engine: 'pgsql' | 'mysql', server: PrivateServer): TestDatabase {
  return { engine, config: server.connectionConfig(), drop: async () => undefined }
}

/** Deletes the soak's keys from the queue (db 0) and cache (db 1) databases. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const { host, port } = SERVICES.redis
  for (const db of [0, 1]) {
    const client = new Redis({ host, port, db, lazyConnect: true, maxRetriesPerRequest: 2 })
    try {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) await client.del(...keys)
      } while (cursor !== '0')
    } finally {
      client.disconnect()
    }
  }
}

/**
 * Shared setup for the chain and batch tests: an Application on a throwaway database of one engine with
 * the skeleton's jobs, failed_jobs, job_batches and job_batch_marks migrations, and a helper that drains the queues with
 * the real Worker in this process. Target "redis" queues the jobs on Redis (a key prefix of its own)
 * and keeps batches and failed jobs in SQLite.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import { Redis } from 'ioredis'
import { Application } from '../../framework/foundation/application.ts'
import type { Migration } from '../../framework/database/migration.ts'
import type { JobClass } from '../../framework/queue/job.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import { createTestDatabase, probeService, SERVICES, type SqlEngine, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { deleteKeys } from './redis-support.ts'

const repoRoot = join(import.meta.dirname, '..', '..')
const MIGRATIONS = [
  '0001_01_01_000002_create_jobs_table.ts',
  '0001_01_01_000003_create_failed_jobs_table.ts',
  '0001_01_01_000004_create_job_batches_table.ts',
  '0001_01_01_000005_create_job_batch_marks_table.ts',
]

export type BusTarget = SqlEngine | 'redis'

/** The reachable SQL engines, plus Redis when its server answers. */
export async function busTargets(engines: SqlEngine[]): Promise<BusTarget[]> {
  return (await probeService('redis')) ? [...engines, 'redis'] : engines
}

export interface BusTestApp {
  app: Application
  db: Knex
  /** The queue connection jobs go to ("database" or "redis"). */
  connection: string
  /** Jobs waiting on `queue` of that connection. */
  size(queue?: string): Promise<number>
  /** Runs a worker until every queue is empty (and no job is in flight). */
  drain(queues?: string[], concurrency?: number): Promise<void>
  /** Empties jobs, failed_jobs, job_batches and job_batch_marks. */
  reset(): Promise<void>
  close(): Promise<void>
}

const QUEUES = ['default', 'orders', 'high', 'emails']

export async function busTestApp(target: BusTarget, classes: JobClass[]): Promise<BusTestApp> {
  const database: TestDatabase = await createTestDatabase(target === 'redis' ? 'sqlite' : target)
  const temp: TempApp = makeTempApp()
  const connection = target === 'redis' ? 'redis' : 'database'
  const prefix = `kiln_t_bus_${randomBytes(4).toString('hex')}:`
  const app = await Application.create({
    basePath: temp.basePath,
    loadEnv: false,
    config: {
      // Signed payloads: chains and batches re-sign what they add, and tests prove it.
      app: { key: `base64:${randomBytes(32).toString('base64')}` },
      database: { default: 'test', connections: { test: database.config } },
      redis: { options: { prefix }, connections: { default: { host: SERVICES.redis.host, port: SERVICES.redis.port, db: 0 } } },
      queue: {
        default: connection,
        connections: {
          database: { driver: 'database', connection: 'test', table: 'jobs', queue: 'default', retry_after: 90 },
          redis: { driver: 'redis', connection: 'default', queue: 'default', retry_after: 90, block_for: 0 },
        },
        failed: { driver: 'database', database: 'test', table: 'failed_jobs' },
        batching: { database: 'test', table: 'job_batches' },
      },
      cache: { default: 'memory' },
    },
  })
  const db = await app.make('db').connection()
  for (const file of MIGRATIONS) {
    const module = (await import(pathToFileURL(join(repoRoot, 'database', 'migrations', file)).href)) as { default: Migration }
    await module.default.up(db)
  }
  for (const cls of classes) app.make('jobs').register(cls)
  const size = async (queue = 'default') => (await app.make('queue').connection(connection)).size(queue)
  return {
    app,
    db,
    connection,
    size,
    async drain(queues = ['default'], concurrency = 1) {
      const errors: unknown[] = []
      const worker = new Worker(app, connection, workerOptions({ queues, concurrency, stopWhenEmpty: true, sleep: 0, tries: 1 }), {
        listenForSignals: false,
        onError: (error) => void errors.push(error),
      })
      await worker.daemon()
      if (errors.length > 0) throw errors[0]
    },
    async reset() {
      for (const table of ['jobs', 'failed_jobs', 'job_batches', 'job_batch_marks']) await db(table).delete()
      const driver = await app.make('queue').connection(connection)
      for (const queue of QUEUES) await driver.clear(queue)
    },
    async close() {
      await app.shutdown()
      if (connection === 'redis') {
        const raw = new Redis({ host: SERVICES.redis.host, port: SERVICES.redis.port, lazyConnect: true, maxRetriesPerRequest: 3 })
        await deleteKeys(raw, prefix)
        raw.disconnect()
      }
      await database.drop()
      temp.cleanup()
    },
  }
}

/**
 * Shared setup for the database-queue tests: a throwaway database of one engine with the skeleton's
 * queue migrations applied, and Applications pointed at it (one per simulated worker, so each gets its
 * own knex pool).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { Migration } from '../../framework/database/migration.ts'
import type { DatabaseQueueConnectionConfig } from '../../framework/queue/config.ts'
import { createTestDatabase, type SqlEngine, type TestDatabase } from '../support/services.ts'

export const repoRoot = join(import.meta.dirname, '..', '..')

export const QUEUE_MIGRATIONS = [
  '0001_01_01_000002_create_jobs_table.ts',
  '0001_01_01_000003_create_failed_jobs_table.ts',
  '0001_01_01_000004_create_job_batches_table.ts',
  '0001_01_01_000005_create_job_batch_marks_table.ts',
]

export function queueConnectionConfig(retryAfter: number): DatabaseQueueConnectionConfig {
  return { driver: 'database', connection: 'testdb', table: 'jobs', queue: 'default', retry_after: retryAfter }
}

/** An Application on the test database, with a `database` queue connection using it. */
export function appOn(database: TestDatabase, retryAfter = 1): Promise<Application> {
  return Application.create({
    basePath: repoRoot,
    loadEnv: false,
    config: {
      database: { default: 'testdb', connections: { testdb: database.config } },
      queue: {
        default: 'database',
        connections: { database: queueConnectionConfig(retryAfter) },
        failed: { driver: 'database', database: 'testdb', table: 'failed_jobs' },
      },
    },
  })
}

/** Creates the database and runs the skeleton's jobs, failed_jobs, job_batches and job_batch_marks migrations on it. */
export async function createQueueDatabase(engine: SqlEngine): Promise<TestDatabase> {
  const database = await createTestDatabase(engine)
  const app = await appOn(database)
  try {
    const db = await app.make('db').connection()
    await runQueueMigrations(db)
  } finally {
    await app.shutdown()
  }
  return database
}

export async function runQueueMigrations(db: Knex): Promise<void> {
  for (const file of QUEUE_MIGRATIONS) {
    const module = (await import(pathToFileURL(join(repoRoot, 'database', 'migrations', file)).href)) as { default: Migration }
    await module.default.up(db)
  }
}

/**
 * The worker fixture app (tests/fixtures/app: real job files that succeed, throw, release, hang, spin,
 * exit) on a throwaway SQLite database: migrate it, push jobs into it, read what the jobs recorded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { Job } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { repoRoot, runCraft, type CraftOptions, type CraftResult } from './craft.ts'
import { createTestDatabase, type TestDatabase } from './services.ts'

export const fixtureApp = join(repoRoot, 'tests', 'fixtures', 'app')

export interface WorkerFixture {
  app: Application
  db: Knex
  env: Record<string, string>
  /** A fresh file for jobs to record into. */
  recordFile(): string
  /** `<label> <event> <attempt>` lines a job recorded. */
  records(file: string): string[]
  push(job: Job, queue?: string): Promise<string>
  craft(args: string[], options?: CraftOptions): Promise<CraftResult>
  failedJobs(): Promise<{ uuid: string; queue: string; payload: string; exception: string }[]>
  jobs(): Promise<{ id: number; queue: string; payload: string; attempts: number }[]>
  reset(): Promise<void>
  close(): Promise<void>
}

export async function createWorkerFixture(env: Record<string, string> = {}): Promise<WorkerFixture> {
  const database: TestDatabase = await createTestDatabase('sqlite')
  const file = (database.config as { database: string }).database
  const fullEnv = { DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: file, QUEUE_CONNECTION: 'database', CACHE_STORE: 'database', APP_ENV: 'testing', ...env }
  const migrated = await runCraft(['migrate', '--force'], { basePath: fixtureApp, env: fullEnv })
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`)
  const app = await Application.create({ basePath: fixtureApp, loadEnv: false, config: { database: { default: 'sqlite', connections: { sqlite: { driver: 'sqlite', database: file } } } } })
  const db = await app.make('db').connection()
  const records = mkdtempSync(join(tmpdir(), 'kiln-records-'))
  let n = 0
  return {
    app,
    db,
    env: fullEnv,
    recordFile: () => join(records, `r${++n}.log`),
    records: (path) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : []),
    push: async (job, queue = 'default') => (await app.make('queue').connection('database')).pushRaw(encodeJob(job).payload, queue),
    craft: (args, options = {}) => runCraft(args, { basePath: fixtureApp, ...options, env: { ...fullEnv, ...options.env } }),
    failedJobs: () => db('failed_jobs').select('uuid', 'queue', 'payload', 'exception').orderBy('id'),
    jobs: () => db('jobs').select('id', 'queue', 'payload', 'attempts').orderBy('id'),
    reset: async () => {
      await db('jobs').delete()
      await db('failed_jobs').delete()
      await db('cache').delete()
    },
    close: async () => {
      await app.shutdown()
      await database.drop()
      rmSync(records, { recursive: true, force: true })
    },
  }
}

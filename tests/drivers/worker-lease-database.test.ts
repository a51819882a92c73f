/**
 * Lease renewal on the database driver: a job that runs longer than retry_after, with two workers
 * polling the same table, runs exactly once (its reserved_at is renewed while it runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { ConfigOverrides } from '../../framework/foundation/config.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import jobsMigration from '../../database/migrations/0001_01_01_000002_create_jobs_table.ts'
import { availableEngines, createTestDatabase, type SqlEngine, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const runs: number[] = []

class LongRunning extends QueuedJob {
  async handle() {
    runs.push(this.attempts())
    await new Promise((resolve) => setTimeout(resolve, 4500))
  }
}

// PostgreSQL and SQLite: a row lock protocol and a single-writer file; one of each is enough here.
const engines = (await availableEngines()).filter((engine): engine is SqlEngine => engine === 'pgsql' || engine === 'sqlite')

describe.each(engines)('lease renewal on the database driver (%s)', (engine) => {
  let database: TestDatabase
  let temp: TempApp
  const apps: Application[] = []

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    temp = makeTempApp()
  }, 60_000)

  afterAll(async () => {
    for (const app of apps) await app.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  async function makeApp(): Promise<Application> {
    const config = {
      database: { default: 'test', connections: { test: database.config } },
      queue: {
        default: 'database',
        connections: { database: { driver: 'database', connection: 'test', table: 'jobs', queue: 'default', retry_after: 2 } },
        failed: { driver: 'null', table: 'failed_jobs' },
      },
      cache: { default: 'memory' },
    } as ConfigOverrides
    const app = await Application.create({ basePath: temp.basePath, loadEnv: false, config })
    apps.push(app)
    ;(await app.make('jobs').ready()).register(LongRunning)
    return app
  }

  it('runs a job longer than retry_after exactly once with two workers', async () => {
    const first = await makeApp()
    const second = await makeApp()
    const db: Knex = await first.make('db').connection()
    await jobsMigration.up(db)
    await (await first.make('queue').connection('database')).pushRaw(encodeJob(new LongRunning()).payload)
    // tries: 3, so a second claim would run the job again rather than fail it.
    const workers = [first, second].map((app) => new Worker(app, 'database', workerOptions({ sleep: 0.2, timeout: 0, tries: 3 }), { listenForSignals: false }))
    const stopped = workers.map((worker) => worker.daemon())
    const deadline = Date.now() + 15_000
    while (Number((await db('jobs').count({ n: '*' }))[0]?.n) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
    // Two more retry_after periods: an expired reservation would have been claimed again by now.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    for (const worker of workers) worker.stop()
    await Promise.all(stopped)
    expect(runs).toEqual([1])
    runs.length = 0
  }, 40_000)
})

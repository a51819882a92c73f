/**
 * The job middleware through the worker's real pipeline (processJob) on the database queue driver and
 * the database cache store (SQLite): what a user sees in the jobs and failed_jobs tables when a
 * middleware releases, deletes or rethrows.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import cacheMigration from '../../database/migrations/0001_01_01_000001_create_cache_table.ts'
import jobsMigration from '../../database/migrations/0001_01_01_000002_create_jobs_table.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import { Limit, RateLimiter } from '../../framework/cache/rate-limiter.ts'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { JobExceptionOccurred } from '../../framework/queue/events.ts'
import { QueuedJob, type JobMiddleware } from '../../framework/queue/job.ts'
import { RateLimited, Skip, ThrottlesExceptions, WithoutOverlapping } from '../../framework/queue/middleware/index.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const ran: string[] = []

RateLimiter.for('pipeline-once', () => Limit.perMinute(1))

class LimitedOnce extends QueuedJob {
  override tries = 2
  constructor(public label: string) {
    super()
  }
  override middleware(): JobMiddleware[] {
    return [new RateLimited('pipeline-once')]
  }
  handle() {
    ran.push(this.label)
  }
}

class FlakyApi extends QueuedJob {
  override tries = 2
  override middleware(): JobMiddleware[] {
    return [new ThrottlesExceptions(5, 600).backoff(5)]
  }
  handle() {
    ran.push('flaky')
    throw new Error('api timed out')
  }
}

class Cancelled extends QueuedJob {
  override middleware(): JobMiddleware[] {
    return [Skip.when(true)]
  }
  handle() {
    ran.push('cancelled')
  }
}

class Exclusive extends QueuedJob {
  override middleware(): JobMiddleware[] {
    return [new WithoutOverlapping('report').dontRelease()]
  }
  handle() {
    ran.push('exclusive')
  }
}

describe('job middleware through processJob (database queue and cache, SQLite)', () => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let db: Knex
  let queue: QueueDriver
  const options = workerOptions({ tries: 1, sleep: 0 })

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    temp = makeTempApp()
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: {
        database: { default: 'test', connections: { test: database.config } },
        queue: { default: 'database', failed: { driver: 'database', database: 'test', table: 'failed_jobs' } },
        cache: { default: 'database', stores: { database: { driver: 'database', table: 'cache' } }, prefix: 'mwp_' },
      },
    })
    db = await app.make('db').connection()
    for (const migration of [cacheMigration, jobsMigration, failedMigration]) await migration.up(db)
    for (const cls of [LimitedOnce, FlakyApi, Cancelled, Exclusive]) app.make('jobs').register(cls)
    queue = await app.make('queue').connection('database')
  }, 60_000)

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  beforeEach(async () => {
    ran.length = 0
    for (const table of ['jobs', 'failed_jobs', 'cache', 'cache_locks']) await db(table).delete()
  })

  /** Pops the next job, making delayed ones available first (the test does not wait out real delays). */
  async function runNext() {
    await db('jobs').update({ available_at: 0 })
    const [reserved] = await queue.pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    return processJob(app, reserved, options)
  }

  it('RateLimited puts an over-limit job back for the window, and a release is an attempt (tries run out)', async () => {
    await queue.pushRaw(encodeJob(new LimitedOnce('first')).payload)
    await queue.pushRaw(encodeJob(new LimitedOnce('second')).payload)
    expect((await runNext()).decision.action).toBe('ack')
    const limited = await runNext()
    expect(limited.decision.action).toBe('release')
    expect(limited.decision).toMatchObject({ delay: expect.any(Number) })
    const [row] = (await db('jobs').select('attempts', 'available_at', 'reserved_at')) as { attempts: number; available_at: number; reserved_at: number | null }[]
    expect(row).toMatchObject({ attempts: 1, reserved_at: null })
    expect(row!.available_at - Date.now() / 1000).toBeGreaterThan(50)
    expect(await db('failed_jobs').count({ n: '*' })).toEqual([{ n: 0 }])

    // Second try, still inside the minute: released again. The third claim exceeds tries = 2.
    expect((await runNext()).decision.action).toBe('release')
    const exhausted = await runNext()
    expect(exhausted.decision).toMatchObject({ action: 'fail', reason: 'max-attempts' })
    expect(ran).toEqual(['first'])
  })

  it('ThrottlesExceptions rethrows below the threshold: reported, retried after the backoff, failed with the real error', async () => {
    const reported: string[] = []
    const off = app.make('events').listen(JobExceptionOccurred, (event) => void reported.push(event.error.message))
    await queue.pushRaw(encodeJob(new FlakyApi()).payload)
    expect((await runNext()).decision).toEqual({ action: 'release', delay: 300 })
    const last = await runNext()
    off()
    expect(last.decision).toMatchObject({ action: 'fail', reason: 'max-attempts' })
    expect(reported).toEqual(['api timed out', 'api timed out'])
    const [failed] = (await db('failed_jobs').select('exception')) as { exception: string }[]
    expect(failed?.exception).toContain('api timed out')
  })

  it('Skip deletes the job without running it', async () => {
    await queue.pushRaw(encodeJob(new Cancelled()).payload)
    expect((await runNext()).decision.action).toBe('ack')
    expect(ran).toEqual([])
    expect(await db('jobs').count({ n: '*' })).toEqual([{ n: 0 }])
  })

  it('WithoutOverlapping.dontRelease() deletes a job whose key another worker holds', async () => {
    const middleware = new WithoutOverlapping('report')
    const held = app.make('cache').store().lock(middleware.lockKey(new Exclusive()), 60)
    expect(await held.get()).toBe(true)
    await queue.pushRaw(encodeJob(new Exclusive()).payload)
    expect((await runNext()).decision.action).toBe('ack')
    expect(ran).toEqual([])
    await held.release()
    await queue.pushRaw(encodeJob(new Exclusive()).payload)
    await runNext()
    expect(ran).toEqual(['exclusive'])
  })
})

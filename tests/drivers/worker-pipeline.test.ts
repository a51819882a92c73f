/**
 * processJob() and the Worker in-process, on the database driver of every reachable engine: the failure
 * policy as a user sees it (rows in jobs / failed_jobs, hooks, events), not as decide() computes it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing, JobReleasedAfterException, JobTimedOut, WorkerStopping } from '../../framework/queue/events.ts'
import { QueuedJob, type JobMiddleware } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import jobsMigration from '../../database/migrations/0001_01_01_000002_create_jobs_table.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const log: string[] = []

class Ok extends QueuedJob {
  constructor(public label = 'ok') {
    super()
  }
  handle() {
    log.push(`${this.label}:${this.attempts()}`)
  }
}

class Throws extends QueuedJob {
  handle(): void {
    log.push(`throws:${this.attempts()}`)
    throw new Error('nope')
  }
  override failed(error: Error) {
    log.push(`failed:${error.message}`)
  }
}

class ThrowsTwice extends Throws {
  override tries = 0
  override maxExceptions = 2
}

class ThrowsUntil extends Throws {
  override tries = 1
  override retryUntil() {
    return new Date(Date.now() + 60_000)
  }
}

class Deletes extends QueuedJob {
  handle() {
    this.delete()
  }
}

class FailsItself extends QueuedJob {
  override tries = 5
  handle() {
    this.fail(new Error('given up'))
  }
  override failed(error: Error) {
    log.push(`failed:${error.message}`)
  }
}

class HonoursSignal extends QueuedJob {
  override timeout = 1
  override tries = 3
  async handle() {
    await new Promise((_, reject) => this.job.signal.addEventListener('abort', () => reject(this.job.signal.reason as Error)))
  }
}

class FailsOnTimeout extends HonoursSignal {
  override failOnTimeout = true
}

class Wrapped extends QueuedJob {
  override middleware(): JobMiddleware[] {
    return [
      { handle: async (_job, next) => (log.push('outer>'), await next(), log.push('<outer')) },
      { handle: async (_job, next) => (log.push('inner>'), await next(), log.push('<inner')) },
    ]
  }
  handle() {
    log.push('handle')
  }
}

class Skipped extends QueuedJob {
  override middleware(): JobMiddleware[] {
    return [{ handle: () => void log.push('skipped') }]
  }
  handle() {
    log.push('never')
  }
}

const jobClasses = [Ok, Throws, ThrowsTwice, ThrowsUntil, Deletes, FailsItself, HonoursSignal, FailsOnTimeout, Wrapped, Skipped]

const engines = await availableEngines()

describe.each(engines)('the worker pipeline on %s', (engine) => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let db: Knex
  let queue: QueueDriver
  const options = workerOptions({ tries: 1, sleep: 0 })

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    temp = makeTempApp()
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: {
        database: { default: 'test', connections: { test: database.config } },
        queue: { default: 'database', failed: { driver: 'database', database: 'test', table: 'failed_jobs' } },
        cache: { default: 'memory' },
      },
    })
    db = await app.make('db').connection()
    await jobsMigration.up(db)
    await failedMigration.up(db)
    for (const cls of jobClasses) app.make('jobs').register(cls)
    queue = await app.make('queue').connection('database')
  }, 60_000)

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  beforeEach(async () => {
    log.length = 0
    await db('jobs').delete()
    await db('failed_jobs').delete()
  })

  async function runNext(opts = options) {
    const [reserved] = await queue.pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    return processJob(app, reserved, opts)
  }

  async function count(table: string): Promise<number> {
    const [row] = await db(table).count({ n: '*' })
    return Number(row?.n)
  }

  function recordEvents() {
    const seen: string[] = []
    const events = app.make('events')
    const offs = [JobProcessing, JobProcessed, JobExceptionOccurred, JobReleasedAfterException, JobFailed, JobTimedOut].map((cls) => events.listen(cls, () => void seen.push(cls.name)))
    return { seen, stop: () => offs.forEach((off) => off()) }
  }

  it('acknowledges a job that succeeds and fires Processing then Processed', async () => {
    const events = recordEvents()
    await queue.pushRaw(encodeJob(new Ok()).payload)
    const result = await runNext()
    events.stop()
    expect(result.decision.action).toBe('ack')
    expect(log).toEqual(['ok:1'])
    expect(await count('jobs')).toBe(0)
    expect(events.seen).toEqual(['JobProcessing', 'JobProcessed'])
  })

  it('releases with the backoff, then fails for good with the hook run once', async () => {
    const events = recordEvents()
    await queue.pushRaw(encodeJob(new Throws()).payload)
    const opts = workerOptions({ tries: 2, backoff: [0] })
    expect((await runNext(opts)).decision).toEqual({ action: 'release', delay: 0 })
    expect((await runNext(opts)).decision.action).toBe('fail')
    events.stop()
    expect(log).toEqual(['throws:1', 'throws:2', 'failed:nope'])
    const failed = await db('failed_jobs').select('connection', 'queue', 'exception')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ connection: 'database', queue: 'default' })
    expect(failed[0].exception).toContain('nope')
    expect(events.seen).toEqual(['JobProcessing', 'JobExceptionOccurred', 'JobReleasedAfterException', 'JobProcessing', 'JobExceptionOccurred', 'JobFailed'])
  })

  it('fails after maxExceptions thrown errors although tries are unlimited', async () => {
    await queue.pushRaw(encodeJob(new ThrowsTwice()).payload)
    expect((await runNext()).decision.action).toBe('release')
    expect((await runNext()).decision).toMatchObject({ action: 'fail', reason: 'max-exceptions' })
    expect(log).toEqual(['throws:1', 'throws:2', 'failed:nope'])
  })

  it('keeps retrying past its tries until retryUntil()', async () => {
    await queue.pushRaw(encodeJob(new ThrowsUntil()).payload)
    expect((await runNext()).decision.action).toBe('release')
    expect((await runNext()).decision.action).toBe('release')
    expect(log).toEqual(['throws:1', 'throws:2'])
  })

  it('keeps a released job unavailable for its backoff delay', async () => {
    await queue.pushRaw(encodeJob(new Throws()).payload)
    const result = await runNext(workerOptions({ tries: 3, backoff: [60] }))
    expect(result.decision).toEqual({ action: 'release', delay: 60 })
    expect(await queue.pop('default', 1)).toEqual([])
    expect(await queue.size('default')).toBe(1)
  })

  it('this.delete() acknowledges; this.fail() fails at once despite tries left', async () => {
    await queue.pushRaw(encodeJob(new Deletes()).payload)
    expect((await runNext()).decision.action).toBe('ack')
    await queue.pushRaw(encodeJob(new FailsItself()).payload)
    expect((await runNext()).decision).toMatchObject({ action: 'fail', reason: 'manual' })
    expect(log).toEqual(['failed:given up'])
    expect(await count('failed_jobs')).toBe(1)
  })

  it('runs job middleware around handle(), outermost first, and lets middleware skip the job', async () => {
    await queue.pushRaw(encodeJob(new Wrapped()).payload)
    await runNext()
    expect(log).toEqual(['outer>', 'inner>', 'handle', '<inner', '<outer'])
    log.length = 0
    await queue.pushRaw(encodeJob(new Skipped()).payload)
    expect((await runNext()).decision.action).toBe('ack')
    expect(log).toEqual(['skipped'])
  })

  it('aborts the signal on timeout, records TimeoutExceeded and releases while tries remain', async () => {
    const events = recordEvents()
    await queue.pushRaw(encodeJob(new HonoursSignal()).payload)
    const result = await runNext()
    events.stop()
    expect(result.decision.action).toBe('release')
    expect(result.error).toMatchObject({ code: 'E_JOB_TIMEOUT' })
    expect(result.abandoned).toBe(false)
    expect(events.seen).toContain('JobTimedOut')
  })

  it('fails at once on timeout with failOnTimeout', async () => {
    await queue.pushRaw(encodeJob(new FailsOnTimeout()).payload)
    const result = await runNext()
    expect(result.decision).toMatchObject({ action: 'fail', reason: 'timeout' })
    const [row] = await db('failed_jobs').select('exception')
    expect(row.exception).toContain('E_JOB_TIMEOUT')
    expect(row.exception).toContain('FailsOnTimeout has timed out after 1 second')
  })

  it('fails a claim beyond its tries without running it ("attempted too many times")', async () => {
    await queue.pushRaw(encodeJob(new Ok()).payload)
    await db('jobs').update({ attempts: 1 }) // a worker died during the first attempt
    const result = await runNext()
    expect(result.decision).toMatchObject({ action: 'fail', reason: 'max-attempts' })
    expect(log).toEqual([])
    const [row] = await db('failed_jobs').select('exception')
    expect(row.exception).toContain('Ok has been attempted too many times')
  })

  it('runs jobs of several queues in priority order with --concurrency, then stops when empty', async () => {
    for (const label of ['l1', 'l2']) await queue.pushRaw(encodeJob(new Ok(label)).payload, 'low')
    for (const label of ['h1', 'h2', 'h3']) await queue.pushRaw(encodeJob(new Ok(label)).payload, 'high')
    const stopping: number[] = []
    const off = app.make('events').listen(WorkerStopping, (event) => void stopping.push(event.status))
    const worker = new Worker(app, 'database', workerOptions({ queues: ['high', 'low'], concurrency: 4, stopWhenEmpty: true, sleep: 0 }), { listenForSignals: false })
    const stop = await worker.daemon()
    off()
    expect(stop.code).toBe(0)
    expect(stopping).toEqual([0])
    expect(log.slice(0, 3).sort()).toEqual(['h1:1', 'h2:1', 'h3:1'])
    expect(log).toHaveLength(5)
  })

  it('stops after --max-jobs and leaves the rest queued', async () => {
    for (const label of ['a', 'b', 'c']) await queue.pushRaw(encodeJob(new Ok(label)).payload)
    const worker = new Worker(app, 'database', workerOptions({ maxJobs: 2, concurrency: 2, sleep: 0 }), { listenForSignals: false })
    expect((await worker.daemon()).reason).toContain('max-jobs')
    expect(log).toHaveLength(2)
    expect(await queue.size('default')).toBe(1)
  })

  it('stop() lets the job in flight finish and takes no other', async () => {
    await queue.pushRaw(encodeJob(new Ok('first')).payload)
    await queue.pushRaw(encodeJob(new Ok('second')).payload)
    const worker = new Worker(app, 'database', workerOptions({ sleep: 0 }), { listenForSignals: false })
    const off = app.make('events').listen(JobProcessing, () => worker.stop('SIGTERM'))
    const stop = await worker.daemon()
    off()
    expect(stop).toMatchObject({ code: 0, reason: 'received SIGTERM' })
    expect(log).toEqual(['first:1'])
    expect(await queue.size('default')).toBe(1)
  })
})

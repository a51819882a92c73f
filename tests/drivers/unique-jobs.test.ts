/**
 * Unique jobs through the real path (dispatch -> database driver on SQLite, PostgreSQL, MariaDB -> worker pipeline): a second
 * dispatch while the first is queued or running is dropped and reported (null + JobSkippedAsDuplicate);
 * the lock is freed once the job is done or has finally failed, or just before handle() runs for the
 * until-processing variant, and never while a retry is pending.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { JobSkippedAsDuplicate, uniqueLockKey, type ShouldBeUnique } from '../../framework/queue/unique-jobs.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import jobsMigration from '../../database/migrations/0001_01_01_000002_create_jobs_table.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import cacheMigration from '../../database/migrations/0001_01_01_000001_create_cache_table.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const calls: string[] = []
const nestedDispatches: (string | null)[] = []

class RecalculateInvoice extends QueuedJob implements ShouldBeUnique {
  static shouldBeUnique = true
  uniqueFor = 600
  constructor(public invoiceId: number) {
    super()
  }
  uniqueId() {
    return this.invoiceId
  }
  handle() {
    calls.push(`recalculate:${this.invoiceId}`)
  }
}

class FlakyRecalculation extends RecalculateInvoice {
  override tries = 2
  override handle(): void {
    throw new Error('flaky')
  }
}

class RefreshFeed extends QueuedJob {
  static uniqueUntilProcessing = true
  async handle() {
    // The lock is already free while this runs: an equal job can be queued.
    nestedDispatches.push(await RefreshFeed.dispatch())
  }
}

class PlainJob extends QueuedJob {
  handle() {}
}

const engines = await availableEngines()

// The queue and the unique locks (the database cache store) share one throwaway database per engine.
describe.each(engines)('unique jobs on the database driver (%s)', (engine) => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let db: Knex
  let queue: QueueDriver
  const skipped: string[] = []

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    temp = makeTempApp()
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: {
        app: { key: generateKey() },
        database: { default: 'test', connections: { test: database.config } },
        queue: { default: 'database', failed: { driver: 'database', database: 'test', table: 'failed_jobs' } },
        cache: { default: 'database', stores: { database: { driver: 'database', connection: 'test', table: 'cache' } } },
      },
    })
    db = await app.make('db').connection()
    await jobsMigration.up(db)
    await failedMigration.up(db)
    await cacheMigration.up(db)
    for (const cls of [RecalculateInvoice, FlakyRecalculation, RefreshFeed]) app.make('jobs').register(cls)
    queue = await app.make('queue').connection('database')
    app.make('events').listen(JobSkippedAsDuplicate, (event) => void skipped.push(event.key))
  }, 60_000)

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  beforeEach(async () => {
    calls.length = 0
    skipped.length = 0
    nestedDispatches.length = 0
    await db('jobs').delete()
    await db('failed_jobs').delete()
    await app.make('cache').store().flush()
  })

  async function runNext() {
    const [reserved] = await queue.pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    return processJob(app, reserved, workerOptions({ tries: 1, sleep: 0 }))
  }

  async function queued(): Promise<number> {
    const [row] = await db('jobs').count({ n: '*' })
    return Number(row?.n)
  }

  it('types the dispatch of a unique job as string | null, of other jobs as string', () => {
    // Never called: only their types are checked (by tsc).
    const _unique = () => RecalculateInvoice.dispatch(1)
    const _untilProcessing = () => RefreshFeed.dispatch()
    const _plain = () => PlainJob.dispatch()
    expectTypeOf<Awaited<ReturnType<typeof _unique>>>().toEqualTypeOf<string | null>()
    expectTypeOf<Awaited<ReturnType<typeof _untilProcessing>>>().toEqualTypeOf<string | null>()
    expectTypeOf<Awaited<ReturnType<typeof _plain>>>().toEqualTypeOf<string>()
  })

  it('drops a second dispatch while the first is queued, and reports it', async () => {
    expect(await RecalculateInvoice.dispatch(7)).toEqual(expect.any(String))
    expect(await RecalculateInvoice.dispatch(7)).toBeNull()
    expect(skipped).toEqual(['kiln_unique_job:RecalculateInvoice:7'])
    expect(await RecalculateInvoice.dispatch(8)).toEqual(expect.any(String)) // another unique id
    expect(await queued()).toBe(2)
  })

  it('accepts the job again once the first has completed', async () => {
    await RecalculateInvoice.dispatch(7)
    await runNext()
    expect(calls).toEqual(['recalculate:7'])
    expect(await RecalculateInvoice.dispatch(7)).toEqual(expect.any(String))
  })

  it('keeps the lock while a retry is pending and frees it when the job finally fails', async () => {
    await FlakyRecalculation.dispatch(3)
    expect((await runNext()).decision.action).toBe('release')
    expect(await FlakyRecalculation.dispatch(3)).toBeNull()
    await db('jobs').update({ available_at: 0 })
    expect((await runNext()).decision.action).toBe('fail')
    expect(await FlakyRecalculation.dispatch(3)).toEqual(expect.any(String))
  })

  it('until processing: frees the lock just before handle() runs', async () => {
    await RefreshFeed.dispatch()
    expect(await RefreshFeed.dispatch()).toBeNull()
    await runNext()
    expect(nestedDispatches).toEqual([expect.any(String)])
    expect(await queued()).toBe(1)
  })

  it('never frees a lock that a newer dispatch holds (the lock has an owner)', async () => {
    await RecalculateInvoice.dispatch(5)
    // The first lock expired (uniqueFor) and an equal job was dispatched again, owning a new lock.
    await app.make('cache').store().lock(uniqueLockKey(new RecalculateInvoice(5))).forceRelease()
    expect(await RecalculateInvoice.dispatch(5)).toEqual(expect.any(String))
    await runNext() // the first job completes: its release must not free the second job's lock
    expect(await RecalculateInvoice.dispatch(5)).toBeNull()
  })

  it('frees the lock when the dispatch itself fails', async () => {
    await expect(RecalculateInvoice.dispatch(9).onConnection('nowhere')).rejects.toMatchObject({ code: 'E_UNKNOWN_QUEUE_CONNECTION' })
    expect(await RecalculateInvoice.dispatch(9)).toEqual(expect.any(String))
  })

  it('records the lock (store, key, owner) in the signed payload', async () => {
    await RecalculateInvoice.dispatch(11)
    const [row] = await db('jobs').select('payload')
    expect(JSON.parse(String(row?.payload))).toMatchObject({
      uniqueLock: { store: null, key: 'kiln_unique_job:RecalculateInvoice:11', owner: expect.any(String), untilProcessing: false },
      signature: expect.stringMatching(/^v1\./),
    })
  })
})

/**
 * Chains and batches on the sync connection (each job runs inside the push, in this process), and the
 * errors a batch gives when job_batches (or job_batch_marks) has not been migrated.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { Application } from '../../framework/foundation/application.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import jobBatchesMigration from '../../database/migrations/0001_01_01_000004_create_job_batches_table.ts'
import jobBatchMarksMigration from '../../database/migrations/0001_01_01_000005_create_job_batch_marks_table.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const log: string[] = []

class SyncStep extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
  }
}

class SyncBreaks extends QueuedJob {
  handle() {
    log.push('breaks')
    throw new Error('sync link broke')
  }
}

class SyncCaught extends QueuedJob {
  handle() {
    log.push(`caught: ${this.failure()?.message}`)
  }
}

class SyncThen extends QueuedJob {
  async handle() {
    log.push(`then ${(await this.batch())?.progress()}%`)
  }
}

let database: TestDatabase
let temp: TempApp
let app: Application

beforeAll(async () => {
  database = await createTestDatabase('sqlite')
  temp = makeTempApp()
  app = await Application.create({
    basePath: temp.basePath,
    loadEnv: false,
    config: {
      database: { default: 'test', connections: { test: database.config } },
      queue: { default: 'sync', failed: { driver: 'null' }, batching: { database: 'test', table: 'job_batches' } },
      cache: { default: 'memory' },
    },
  })
})

afterAll(async () => {
  await app?.shutdown()
  await database?.drop()
  temp?.cleanup()
})

beforeEach(() => {
  log.length = 0
})

describe('the bus on the sync connection', () => {
  it('reports a missing job_batches table with what to run', async () => {
    await expect(Bus.batch([new SyncStep('x')]).dispatch()).rejects.toMatchObject({ code: 'E_BATCH_TABLE_MISSING' })
    expect(log).toEqual([])
  })

  it('runs a chain inline, in order', async () => {
    await Bus.chain([new SyncStep('one'), new SyncStep('two'), new SyncStep('three')]).dispatch()
    expect(log).toEqual(['one', 'two', 'three'])
  })

  it('stops a failing chain, runs its catch job, and rethrows to the dispatcher', async () => {
    await expect(Bus.chain([new SyncStep('one'), new SyncBreaks(), new SyncStep('never')]).catch(new SyncCaught()).dispatch()).rejects.toThrow('sync link broke')
    expect(log).toEqual(['one', 'breaks', 'caught: sync link broke'])
  })

  it('reports a missing job_batch_marks table with what to run (a batch created before its migration)', async () => {
    await jobBatchesMigration.up(await app.make('db').connection())
    const error = await Bus.batch([new SyncStep('m')]).dispatch().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_BATCH_MARKS_TABLE_MISSING' })
    expect((error as Error).message).toContain('craft migrate')
  })

  it('runs a batch inline and its then job once', async () => {
    log.length = 0
    await jobBatchMarksMigration.up(await app.make('db').connection())
    const batch = await Bus.batch([new SyncStep('a'), [new SyncStep('b1'), new SyncStep('b2')]]).then(new SyncThen()).dispatch()
    expect(log).toEqual(['a', 'b1', 'b2', 'then 100%'])
    expect(batch).toMatchObject({ totalJobs: 3, pendingJobs: 0 })
    expect(batch.finished()).toBe(true)
  })
})

/**
 * Unique jobs with the queue and the lock both on Redis: a second dispatch while the first is queued is
 * dropped (null + JobSkippedAsDuplicate); once the job has run, the lock is free and an equal job can be
 * queued again.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { JobSkippedAsDuplicate } from '../../framework/queue/unique-jobs.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import { createTestDatabase, probeService, SERVICES, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { deleteKeys } from './redis-support.ts'

const calls: number[] = []

class SyncInventory extends QueuedJob {
  static shouldBeUnique = true
  uniqueFor = 600
  constructor(public productId: number) {
    super()
  }
  uniqueId() {
    return this.productId
  }
  handle() {
    calls.push(this.productId)
  }
}

const redisUp = await probeService('redis')

describe.runIf(redisUp)('unique jobs on the Redis driver, locked in the Redis cache store', () => {
  const prefix = `kiln_t_uniq_${randomBytes(4).toString('hex')}:`
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let queue: QueueDriver
  let raw: Redis
  const skipped: string[] = []

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    temp = makeTempApp()
    const { host, port } = SERVICES.redis
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: {
        app: { key: generateKey() },
        database: { default: 'test', connections: { test: database.config } },
        redis: { options: { prefix }, connections: { default: { host, port, db: 0 } } },
        queue: {
          default: 'redis',
          connections: { redis: { driver: 'redis', connection: 'default', queue: 'default', retry_after: 60, block_for: 1 } },
          failed: { driver: 'database', database: 'test', table: 'failed_jobs' },
        },
        cache: { default: 'redis', stores: { redis: { driver: 'redis', connection: 'default' } } },
      },
    })
    await failedMigration.up(await app.make('db').connection())
    app.make('jobs').register(SyncInventory)
    app.make('events').listen(JobSkippedAsDuplicate, (event) => void skipped.push(event.key))
    queue = await app.make('queue').connection('redis')
    raw = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 3 })
  }, 60_000)

  afterAll(async () => {
    if (raw) {
      await deleteKeys(raw, prefix)
      raw.disconnect()
    }
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  it('drops a duplicate while queued, and accepts an equal job once the first has run', async () => {
    const first = await SyncInventory.dispatch(7)
    expect(first).toEqual(expect.any(String))
    expect(await SyncInventory.dispatch(7)).toBeNull()
    expect(skipped).toHaveLength(1)
    expect(await SyncInventory.dispatch(8)).toEqual(expect.any(String))
    expect(await queue.size('default')).toBe(2)

    for (const reserved of await queue.pop('default', 2)) await processJob(app, reserved, workerOptions({ tries: 1, sleep: 0 }))
    expect(calls.sort()).toEqual([7, 8])
    expect(await queue.size('default')).toBe(0)

    expect(await SyncInventory.dispatch(7)).toEqual(expect.any(String))
    expect(skipped).toHaveLength(1)
  })
})

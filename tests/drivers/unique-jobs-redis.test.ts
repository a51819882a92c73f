/**
 * Unique jobs with the queue and the lock both on Redis: a second dispatch while the first is queued is
 * dropped (null + JobSkippedAsDuplicate); once the job has run, the lock is free and an equal job can be
 * queued again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { JobSkippedAsDuplicate } from '../../framework/queue/unique-jobs.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { probeService } from '../support/services.ts'
import { makeRedisJobsApp, type RedisJobsApp } from './redis-support.ts'

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
  let ctx: RedisJobsApp
  let app: Application
  let queue: QueueDriver
  const skipped: string[] = []

  beforeAll(async () => {
    ctx = await makeRedisJobsApp({ cache: 'redis' })
    ;({ app, queue } = ctx)
    app.make('jobs').register(SyncInventory)
    app.make('events').listen(JobSkippedAsDuplicate, (event) => void skipped.push(event.key))
  }, 60_000)

  afterAll(async () => {
    await ctx?.cleanup()
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

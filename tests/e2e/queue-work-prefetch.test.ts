import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
// First: it loads the Application (see queue-work.test.ts for the import cycle this avoids).
import { createWorkerFixture, type WorkerFixture } from '../support/worker-fixture.ts'
import { ExitingJob } from '../fixtures/app/app/Jobs/ExitingJob.ts'
import { RecordJob } from '../fixtures/app/app/Jobs/RecordJob.ts'

let fx: WorkerFixture

beforeAll(async () => {
  fx = await createWorkerFixture()
}, 60_000)
afterAll(async () => fx?.close())
beforeEach(async () => fx.reset())

describe('queue:work --prefetch on the database driver (SQLite)', () => {
  it("a killed worker's prefetched jobs come back after retry_after, their claim counted as an attempt", async () => {
    const file = fx.recordFile()
    await fx.push(new ExitingJob(file, 'exit'))
    await fx.push(new RecordJob(file, 'a'))
    await fx.push(new RecordJob(file, 'b'))
    const env = { DB_QUEUE_RETRY_AFTER: '2' }
    const first = await fx.craft(['queue:work', '--prefetch=10', '--timeout=1', '--tries=3', '--stop-when-empty'], { env })
    expect(first.code).toBe(3)
    // The process died holding all three: none was given back.
    expect((await fx.jobs()).map((job) => job.attempts)).toEqual([1, 1, 1])
    // Expired means reserved_at + retry_after < now in whole server seconds: up to retry_after + 1 s after the claim.
    await new Promise((resolve) => setTimeout(resolve, 3200))
    const second = await fx.craft(['queue:work', '--timeout=1', '--tries=3', '--stop-when-empty', '--sleep=0'], { env })
    expect(second.code).toBe(0)
    expect(fx.records(file)).toEqual(['exit start 1', 'a start 2', 'a done 2', 'b start 2', 'b done 2'])
    expect(await fx.jobs()).toEqual([])
  }, 30_000)

  it('rejects a --prefetch that is not a whole number', async () => {
    const result = await fx.craft(['queue:work', '--prefetch=lots', '--once'])
    expect(result.code).toBe(1)
    expect(result.stderr + result.stdout).toContain('--prefetch option must be a whole number')
  })
})

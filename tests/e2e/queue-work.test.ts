import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
// First: it loads the Application, whose providers import job.ts through the mail module. Importing a job
// file before that hits an import cycle (job.ts -> pending-dispatch -> application -> mail -> job.ts).
import { createWorkerFixture, fixtureApp, type WorkerFixture } from '../support/worker-fixture.ts'
import { BusyLoopJob } from '../fixtures/app/app/Jobs/BusyLoopJob.ts'
import { ExitingJob } from '../fixtures/app/app/Jobs/ExitingJob.ts'
import { HangingJob } from '../fixtures/app/app/Jobs/HangingJob.ts'
import { RecordJob } from '../fixtures/app/app/Jobs/RecordJob.ts'
import { ReleasingJob } from '../fixtures/app/app/Jobs/ReleasingJob.ts'
import { ThrowingJob } from '../fixtures/app/app/Jobs/ThrowingJob.ts'
import { spawnCraft, waitForOutput } from '../support/craft.ts'

let fx: WorkerFixture

beforeAll(async () => {
  fx = await createWorkerFixture()
}, 60_000)
afterAll(async () => fx?.close())
beforeEach(async () => fx.reset())

describe('queue:work on the database driver (SQLite)', () => {
  it('--once runs exactly one job and prints it like artisan', async () => {
    const file = fx.recordFile()
    await fx.push(new RecordJob(file, 'a'))
    await fx.push(new RecordJob(file, 'b'))
    const result = await fx.craft(['queue:work', '--once'])
    expect(result.code).toBe(0)
    expect(fx.records(file)).toEqual(['a start 1', 'a done 1'])
    expect(result.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d RecordJob \.+ RUNNING/)
    expect(result.stdout).toMatch(/RecordJob \.+ [\d.]+m?s DONE/)
    expect(await fx.jobs()).toHaveLength(1)
  })

  it('--stop-when-empty retries per --tries, fails for good once, and keeps going', async () => {
    const file = fx.recordFile()
    await fx.push(new ThrowingJob(file, 'boom'))
    await fx.push(new ReleasingJob(file, 'rel'))
    await fx.push(new RecordJob(file, 'ok'))
    const result = await fx.craft(['queue:work', '--stop-when-empty', '--tries=2', '--sleep=0'])
    expect(result.code).toBe(0)
    const lines = fx.records(file)
    expect(lines.filter((l) => l.startsWith('boom start'))).toEqual(['boom start 1', 'boom start 2'])
    expect(lines.filter((l) => l.includes('failed('))).toEqual(['boom failed(boom broke on attempt 2) 2'])
    expect(lines.filter((l) => l.startsWith('rel'))).toEqual(['rel start 1', 'rel start 2'])
    expect(lines).toContain('ok done 1')
    expect(await fx.jobs()).toEqual([])
    const failed = await fx.failedJobs()
    expect(failed).toHaveLength(1)
    expect(failed[0]!.exception).toContain('boom broke on attempt 2')
    expect(result.stdout).toMatch(/ThrowingJob \.+ .*FAIL/)
  })

  it('shows why an attempt failed under its FAIL line, and logs it', async () => {
    const file = fx.recordFile()
    await fx.push(new ThrowingJob(file, 'boom'))
    const result = await fx.craft(['queue:work', '--stop-when-empty', '--tries=2', '--sleep=0'])
    expect(result.code).toBe(0)
    // Attempt 1 is released for a retry: its reason is printed and logged, not only the final failure's.
    expect(result.stdout).toMatch(/ThrowingJob \.+ .*FAIL\n {2}Error: boom broke on attempt 1 \(retrying in 0s\)/)
    expect(result.stdout).toMatch(/ThrowingJob \.+ .*FAIL\n {2}Error: boom broke on attempt 2\n/)
    expect(result.stdout).toMatch(/"level":40.*"job":"ThrowingJob".*"msg":"Error: boom broke on attempt 1"/)
    expect(result.stdout).not.toMatch(/\n\s+at /)
  })

  it('takes jobs in the priority order of --queue', async () => {
    const file = fx.recordFile()
    await fx.push(new RecordJob(file, 'low1'), 'low')
    await fx.push(new RecordJob(file, 'low2'), 'low')
    await fx.push(new RecordJob(file, 'high1'), 'high')
    await fx.push(new RecordJob(file, 'high2'), 'high')
    const result = await fx.craft(['queue:work', '--queue=high,low', '--stop-when-empty', '--sleep=0'])
    expect(result.code).toBe(0)
    const order = fx.records(file).filter((l) => l.endsWith('start 1')).map((l) => l.split(' ')[0])
    expect(order).toEqual(['high1', 'high2', 'low1', 'low2'])
  })

  it('--concurrency runs jobs side by side and still drains every queue', async () => {
    const file = fx.recordFile()
    for (let i = 0; i < 6; i++) await fx.push(new RecordJob(file, `c${i}`, 300))
    const result = await fx.craft(['queue:work', '--concurrency=3', '--stop-when-empty', '--sleep=0'])
    expect(result.code).toBe(0)
    const lines = fx.records(file)
    expect(lines.filter((l) => l.includes('done'))).toHaveLength(6)
    // Three jobs started before the first one finished.
    expect(lines.slice(0, 3).every((l) => l.includes('start'))).toBe(true)
  })

  it('finishes the job in flight on SIGTERM, takes no other, and exits 0', async () => {
    const file = fx.recordFile()
    await fx.push(new RecordJob(file, 'slow', 1500))
    await fx.push(new RecordJob(file, 'next'))
    const child = spawnCraft(['queue:work', '--sleep=0'], { basePath: fixtureApp, env: fx.env })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    await waitForOutput(child, /RecordJob \.+ RUNNING/)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(fx.records(file)).toEqual(['slow start 1', 'slow done 1'])
    expect((await fx.jobs()).map((j) => j.attempts)).toEqual([0])
  })

  it('exits after queue:restart', async () => {
    const child = spawnCraft(['queue:work', '--sleep=1'], { basePath: fixtureApp, env: fx.env })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    await waitForOutput(child, /Processing jobs/)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const restart = await fx.craft(['queue:restart'])
    expect(restart.code).toBe(0)
    expect(restart.stdout).toContain('Broadcasting queue restart signal.')
    expect(await exited).toBe(0)
  })

  it('fails a garbage payload and an unknown job at once, byte for byte, and keeps working', async () => {
    const file = fx.recordFile()
    const now = Math.floor(Date.now() / 1000)
    const garbage = '{"uuid": not json at all \u0000 \u00e9'
    const unknown = JSON.stringify({ uuid: '7d3c1f0e-1111-4222-8333-944455556666', job: 'NoSuchJob', displayName: 'NoSuchJob', data: {}, maxTries: 5, maxExceptions: null, backoff: null, timeout: null, retryUntil: null, failOnTimeout: false, pushedAt: 0 })
    await fx.db('jobs').insert([
      { queue: 'default', payload: garbage, attempts: 0, available_at: now, created_at: now },
      { queue: 'default', payload: unknown, attempts: 0, available_at: now, created_at: now },
    ])
    await fx.push(new RecordJob(file, 'after'))
    const result = await fx.craft(['queue:work', '--stop-when-empty', '--tries=3', '--sleep=0'])
    expect(result.code).toBe(0)
    expect(fx.records(file)).toEqual(['after start 1', 'after done 1'])
    const failed = await fx.failedJobs()
    expect(failed.map((f) => f.payload)).toEqual([garbage, unknown])
    expect(failed[0]!.exception).toContain('E_MALFORMED_PAYLOAD')
    expect(failed[1]!.exception).toContain('E_UNKNOWN_JOB')
    expect(failed[1]!.uuid).toBe('7d3c1f0e-1111-4222-8333-944455556666')
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at /)
  })

  it('refuses a timeout at or above retry_after, naming both', async () => {
    const result = await fx.craft(['queue:work', '--timeout=90'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('90s')
    expect(result.stderr).toContain('retry_after')
  })

  it.each([
    [['--tries=abc'], '--tries'],
    [['--backoff=x'], '--backoff'],
    [['--concurrency=0'], '--concurrency'],
    [['--memory=lots'], '--memory'],
  ])('rejects bad flag values %j with a clear message and exit 1', async (flags, named) => {
    const result = await fx.craft(['queue:work', ...flags])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(named)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('rejects an unknown connection, listing the configured ones', async () => {
    const result = await fx.craft(['queue:work', 'nope'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"nope"')
    expect(result.stderr).toContain('database')
    expect(result.stderr).toContain('sync')
  })
})

describe('queue:work and handlers that never give the worker back', () => {
  it('a hanging handler: timeout, exit non-zero, and failed after its tries on a later run', async () => {
    const file = fx.recordFile()
    await fx.push(new HangingJob(file, 'hang'))
    const first = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty', '--sleep=0'])
    expect(first.code).not.toBe(0)
    expect(first.code).not.toBeNull()
    expect(first.stdout).toMatch(/HangingJob \.+ .*FAIL/)
    expect(await fx.jobs()).toHaveLength(1) // released for its second try
    expect(await fx.failedJobs()).toEqual([])

    const second = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty', '--sleep=0'])
    expect(second.code).not.toBe(0)
    expect(fx.records(file)).toEqual(['hang start 1', 'hang start 2', 'hang failed(HangingJob has timed out after 1 second) 2'])
    expect(await fx.jobs()).toEqual([])
    const failed = await fx.failedJobs()
    expect(failed).toHaveLength(1)
    expect(failed[0]!.exception).toContain('E_JOB_TIMEOUT')
  })

  it('a busy loop is killed by the watchdog; the next worker fails the job (the attempt counted)', async () => {
    const file = fx.recordFile()
    await fx.push(new BusyLoopJob(file, 'spin'))
    const env = { DB_QUEUE_RETRY_AFTER: '2' }
    const first = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty', '--sleep=0'], { env })
    expect(first.signal).toBe('SIGKILL')
    expect(first.stderr).toContain('watchdog')
    // Expired means reserved_at + retry_after < now in whole server seconds: up to retry_after + 1 s after the claim.
    await new Promise((resolve) => setTimeout(resolve, 3200))
    const second = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty', '--sleep=0'], { env })
    expect(second.code).toBe(0)
    expect(fx.records(file)).toEqual(['spin start 1'])
    const failed = await fx.failedJobs()
    expect(failed).toHaveLength(1)
    expect(failed[0]!.exception).toContain('E_MAX_ATTEMPTS_EXCEEDED')
  })

  it('a job that kills its process counts as an attempt when the reservation expires', async () => {
    const file = fx.recordFile()
    await fx.push(new ExitingJob(file, 'exit'))
    const env = { DB_QUEUE_RETRY_AFTER: '2' }
    const first = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty'], { env })
    expect(first.code).toBe(3)
    await new Promise((resolve) => setTimeout(resolve, 3200)) // the same whole-second expiry
    const second = await fx.craft(['queue:work', '--timeout=1', '--stop-when-empty', '--sleep=0'], { env })
    expect(second.code).toBe(0)
    expect(fx.records(file)).toEqual(['exit start 1'])
    expect((await fx.failedJobs())[0]?.exception).toContain('attempted too many times')
  })
})

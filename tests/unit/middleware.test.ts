/**
 * Job middleware that need no cache (Skip) and the settings every middleware refuses, as a job's
 * middleware() would meet them on a worker.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bindJobRuntime, QueuedJob, type JobMiddleware } from '../../framework/queue/job.ts'
import { RateLimited, Skip, ThrottlesExceptions, WithoutOverlapping } from '../../framework/queue/middleware/index.ts'

class Probe extends QueuedJob {
  handled = 0
  constructor(public layers: JobMiddleware[]) {
    super()
  }
  override middleware(): JobMiddleware[] {
    return this.layers
  }
  handle() {
    this.handled++
  }
}

/** One attempt through the job's middleware, as the worker pipeline runs it. */
async function run(job: Probe) {
  const state = bindJobRuntime(job, { id: '1', uuid: randomUUID(), queue: 'default', connection: 'test', attempts: 1, signal: new AbortController().signal })
  const layers = job.middleware()
  const step = async (index: number): Promise<void> => {
    const layer = layers[index]
    if (!layer) return void (await job.handle())
    await layer.handle(job, () => step(index + 1))
  }
  await step(0)
  return state
}

describe('Skip', () => {
  it('deletes the job without running it when the condition holds', async () => {
    const job = new Probe([Skip.when(true)])
    const state = await run(job)
    expect(job.handled).toBe(0)
    expect(state.deleted).toBe(true)
    expect(state.released).toBeNull()
  })

  it('runs the job when the condition does not hold', async () => {
    for (const layer of [Skip.when(false), Skip.unless(true), Skip.when(() => false), Skip.unless(async () => true)]) {
      const job = new Probe([layer])
      const state = await run(job)
      expect(job.handled).toBe(1)
      expect(state.deleted).toBe(false)
    }
  })

  it('skips with unless() when the condition is false', async () => {
    const job = new Probe([Skip.unless(() => false)])
    expect((await run(job)).deleted).toBe(true)
    expect(job.handled).toBe(0)
  })

  it('evaluates a condition function when the job is about to run, not when middleware() builds it', async () => {
    let cancelled = false
    const job = new Probe([Skip.when(() => cancelled)])
    cancelled = true
    expect((await run(job)).deleted).toBe(true)
    expect(job.handled).toBe(0)
  })

  it('stops the rest of the pipeline, later middleware included', async () => {
    const seen: string[] = []
    const job = new Probe([Skip.when(true), { handle: async (_job, next) => (seen.push('inner'), await next()) }])
    await run(job)
    expect(seen).toEqual([])
    expect(job.handled).toBe(0)
  })
})

describe('middleware settings', () => {
  it('refuses settings that cannot work, with E_INVALID_JOB_MIDDLEWARE', () => {
    const attempts: (() => unknown)[] = [
      () => new RateLimited(''),
      () => new ThrottlesExceptions(0, 60),
      () => new ThrottlesExceptions(1.5, 60),
      () => new ThrottlesExceptions(3, 0),
      () => new ThrottlesExceptions(3, 60).backoff(-1),
      () => new WithoutOverlapping('k').releaseAfter(-1),
      () => new WithoutOverlapping('k').expireAfter(Number.NaN),
    ]
    for (const attempt of attempts) expect(attempt).toThrow(expect.objectContaining({ code: 'E_INVALID_JOB_MIDDLEWARE' }))
  })

  it('builds Laravel-shaped lock keys: per job class, or shared across classes', () => {
    const job = new Probe([])
    expect(new WithoutOverlapping(42).lockKey(job)).toBe('kiln-queue-overlap:Probe:42')
    expect(new WithoutOverlapping(42).shared().lockKey(job)).toBe('kiln-queue-overlap:42')
    expect(new ThrottlesExceptions().by('stripe').keyFor(job)).toBe('kiln_throttles_exceptions:stripe')
    expect(new ThrottlesExceptions().keyFor(job)).toBe('kiln_throttles_exceptions:Probe')
  })
})

/**
 * Batches on the database driver of every reachable engine and on Redis (counters in SQLite), run by
 * the real worker: counters and progress, then/catch/finally, allowFailures, cancellation, batches of
 * chains, add() from a job, pruning.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { retryFailedJob } from '../../framework/queue/failed/retry-failed-jobs.ts'
import { availableEngines } from '../support/services.ts'
import { busTargets, busTestApp, type BusTestApp } from './bus-support.ts'

const log: string[] = []

class Item extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
  }
}

class Breaks extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
    throw new Error(`${this.label} broke`)
  }
}

/** Fails while `failing` is set: a member that breaks, then is fixed and retried. */
class Flaky extends QueuedJob {
  static failing = true
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(`${this.label} ${Flaky.failing ? 'broke' : 'ok'}`)
    if (Flaky.failing) throw new Error(`${this.label} broke`)
  }
}

class CancelsBatch extends QueuedJob {
  async handle() {
    log.push('cancel')
    await (await this.batch())?.cancel()
  }
}

class FansOut extends QueuedJob {
  async handle() {
    log.push('fan-out')
    const batch = await this.batch()
    const updated = await batch?.add([new Item('added-1'), [new Item('added-2'), new Item('added-3')]])
    log.push(`total now ${updated?.totalJobs}`)
  }
}

class Then extends QueuedJob {
  async handle() {
    const batch = await this.batch()
    log.push(`then ${batch?.name} ${batch?.progress()}% finished=${batch?.finished()}`)
  }
}

class Catch extends QueuedJob {
  handle() {
    log.push(`catch ${this.failure()?.job}: ${this.failure()?.message}`)
  }
}

class Finally extends QueuedJob {
  async handle() {
    const batch = await this.batch()
    log.push(`finally failed=${batch?.failedJobs}`)
  }
}

const targets = await busTargets(await availableEngines())
const options = workerOptions({ tries: 1, sleep: 0 })

describe.each(targets)('batches on %s', (target) => {
  let t: BusTestApp

  beforeAll(async () => {
    t = await busTestApp(target, [Item, Breaks, Flaky, CancelsBatch, FansOut, Then, Catch, Finally])
  }, 60_000)

  afterAll(async () => {
    await t?.close()
  })

  beforeEach(async () => {
    log.length = 0
    await t.reset()
  })

  /** Runs the oldest available job of `queue`. */
  async function runNext(queue = 'default') {
    const [reserved] = await (await t.app.make('queue').connection(t.connection)).pop(queue, 1)
    if (!reserved) throw new Error('nothing to pop')
    return processJob(t.app, reserved, options)
  }

  it('counts jobs, reports progress, and runs then and finally once when all succeed', async () => {
    const batch = await Bus.batch([new Item('a'), new Item('b'), new Item('c'), new Item('d')])
      .then(new Then())
      .catch(new Catch())
      .finally(new Finally())
      .name('newsletter')
      .dispatch()
    expect(batch.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(batch).toMatchObject({ name: 'newsletter', totalJobs: 4, pendingJobs: 4, failedJobs: 0 })
    expect(batch.progress()).toBe(0)
    await runNext()
    await runNext()
    const half = await Bus.findBatch(batch.id)
    expect(half?.processedJobs()).toBe(2)
    expect(half?.progress()).toBe(50)
    expect(half?.finished()).toBe(false)
    await t.drain()
    const done = await Bus.findBatch(batch.id)
    expect(done).toMatchObject({ totalJobs: 4, pendingJobs: 0, failedJobs: 0, failedJobIds: [] })
    expect(done?.progress()).toBe(100)
    expect(done?.finished()).toBe(true)
    expect(done?.cancelled()).toBe(false)
    expect(log).toEqual(['a', 'b', 'c', 'd', 'then newsletter 100% finished=true', 'finally failed=0'])
  })

  it('cancels on the first failure: the rest skip themselves, catch runs once, then never', async () => {
    const batch = await Bus.batch([new Item('a'), new Breaks('b'), new Item('c'), new Breaks('d')]).then(new Then()).catch(new Catch()).finally(new Finally()).dispatch()
    await t.drain()
    expect(log).toEqual(['a', 'b', 'catch Breaks: b broke', 'finally failed=1'])
    const after = await Bus.findBatch(batch.id)
    expect(after).toMatchObject({ totalJobs: 4, pendingJobs: 1, failedJobs: 1 })
    expect(after?.cancelled()).toBe(true)
    expect(after?.failedJobIds).toHaveLength(1)
    const [failed] = await t.db('failed_jobs').select('uuid')
    expect(after?.failedJobIds).toEqual([failed?.uuid])
  })

  it('with allowFailures() runs every job, catch once on the first failure, and finally once', async () => {
    const batch = await Bus.batch([new Item('a'), new Breaks('b'), new Breaks('c'), new Item('d')])
      .allowFailures()
      .then(new Then())
      .catch(new Catch())
      .finally(new Finally())
      .dispatch()
    await t.drain()
    // The catch job is queued at the first failure, behind the batch's own jobs.
    expect(log).toEqual(['a', 'b', 'c', 'd', 'catch Breaks: b broke', 'finally failed=2'])
    const after = await Bus.findBatch(batch.id)
    expect(after).toMatchObject({ totalJobs: 4, pendingJobs: 2, failedJobs: 2 })
    expect(after?.failedJobIds).toHaveLength(2)
    expect(after?.cancelled()).toBe(false)
    expect(after?.finished()).toBe(false)
    expect(after?.progress()).toBe(50)
  })

  it('queue:retry of a failed member: a second failure runs no callback again; a success runs then, and finally no second time', async () => {
    Flaky.failing = true
    const batch = await Bus.batch([new Item('a'), new Flaky('b')]).name('retried').allowFailures().then(new Then()).catch(new Catch()).finally(new Finally()).dispatch()
    await t.drain()
    expect(log).toEqual(['a', 'b broke', 'catch Flaky: b broke', 'finally failed=1'])
    const retry = async () => {
      const [failed] = await t.db('failed_jobs').select('uuid')
      expect(await retryFailedJob(t.app, t.app.make('queue.failed'), String(failed?.uuid))).toBe('retried')
      await t.drain()
    }
    log.length = 0
    await retry() // fails again: as in Laravel, the batch's callbacks are not run a second time
    expect(log).toEqual(['b broke'])
    Flaky.failing = false
    log.length = 0
    await retry() // fixed: counted as a success, the batch has no pending job left
    expect(log).toEqual(['b ok', 'then retried 100% finished=true'])
    expect(await Bus.findBatch(batch.id)).toMatchObject({ pendingJobs: 0, failedJobIds: [] })
  })

  it('skips the remaining jobs of a batch cancelled from inside a job', async () => {
    const batch = await Bus.batch([new Item('a'), new CancelsBatch(), new Item('c'), new Item('d')]).then(new Then()).finally(new Finally()).dispatch()
    await t.drain()
    // A cancelled batch does not run `then`: its skipped jobs did no work.
    expect(log).toEqual(['a', 'cancel', 'finally failed=0'])
    const after = await Bus.findBatch(batch.id)
    expect(after?.cancelled()).toBe(true)
    expect(after?.pendingJobs).toBe(0)
  })

  it('cancel() from outside stops the jobs that have not started', async () => {
    const batch = await Bus.batch([new Item('a'), new Item('b'), new Item('c')]).dispatch()
    await runNext()
    await batch.cancel()
    await t.drain()
    expect(log).toEqual(['a'])
    expect((await batch.fresh())?.cancelled()).toBe(true)
  })

  it('runs batches of chains: each chain in order, every link counted', async () => {
    const batch = await Bus.batch([[new Item('a1'), new Item('a2'), new Item('a3')], [new Item('b1'), new Item('b2')], new Item('c')])
      .then(new Then())
      .name('mixed')
      .dispatch()
    expect(batch.totalJobs).toBe(6)
    await t.drain()
    expect(log.indexOf('a1')).toBeLessThan(log.indexOf('a2'))
    expect(log.indexOf('a2')).toBeLessThan(log.indexOf('a3'))
    expect(log.indexOf('b1')).toBeLessThan(log.indexOf('b2'))
    expect(log.filter((line) => line.startsWith('then'))).toEqual(['then mixed 100% finished=true'])
    expect(log.at(-1)).toBe('then mixed 100% finished=true')
    expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 6, pendingJobs: 0 })
  })

  it('adds jobs from inside a job, and then waits for them', async () => {
    const batch = await Bus.batch([new FansOut()]).then(new Then()).name('fan').dispatch()
    await t.drain()
    expect(log.slice(0, 2)).toEqual(['fan-out', 'total now 4'])
    expect(log.slice(2, 5).sort()).toEqual(['added-1', 'added-2', 'added-3'])
    expect(log.at(-1)).toBe('then fan 100% finished=true')
    expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 4, pendingJobs: 0 })
  })

  it('finishes an empty batch at once', async () => {
    const batch = await Bus.batch([]).then(new Then()).finally(new Finally()).name('empty').dispatch()
    expect(batch.finished()).toBe(true)
    await t.drain()
    expect(log).toEqual(['then empty 0% finished=true', 'finally failed=0'])
  })

  it('queues the jobs and callbacks on the batch connection and queue', async () => {
    await Bus.batch([new Item('a'), new Item('b')]).then(new Then()).onQueue('emails').dispatch()
    expect(await t.size('emails')).toBe(2)
    await t.drain(['emails'])
    expect(log).toEqual(['a', 'b', 'then  100% finished=true'])
  })

  it('refuses items that are not jobs, storing nothing', async () => {
    await expect(Bus.batch([new Item('ok'), 'nope' as never]).dispatch()).rejects.toMatchObject({ code: 'E_INVALID_BATCH' })
    expect(Number((await t.db('job_batches').count({ n: '*' }).first())?.n)).toBe(0)
    expect(await t.size()).toBe(0)
  })

  it('returns null for an unknown batch', async () => {
    expect(await Bus.findBatch('no-such-batch')).toBeNull()
  })

  it('prunes finished, unfinished and cancelled batches older than the given age', async () => {
    const repository = t.app.make('bus.batches')
    const finished = await Bus.batch([]).name('old-finished').dispatch()
    const unfinished = await Bus.batch([new Item('x')]).name('old-unfinished').dispatch()
    const cancelled = await Bus.batch([new Item('y')]).name('old-cancelled').dispatch()
    await cancelled.cancel()
    const recent = await Bus.batch([]).name('recent').dispatch()
    const twoDaysAgo = Math.floor(Date.now() / 1000) - 48 * 3600
    await t.db('job_batches').whereIn('id', [finished.id, unfinished.id, cancelled.id]).update({ created_at: twoDaysAgo })
    await t.db('job_batches').whereIn('id', [finished.id, cancelled.id]).update({ finished_at: twoDaysAgo })
    const dayAgo = new Date(Date.now() - 24 * 3600 * 1000)
    expect(await repository.prune(dayAgo)).toBe(2) // finished ones: the old finished and the old cancelled
    expect(await repository.pruneUnfinished(dayAgo)).toBe(1)
    expect(await repository.pruneCancelled(dayAgo)).toBe(0)
    expect((await t.db('job_batches').select('name')).map((row) => row.name)).toEqual([recent.name])
  })
})

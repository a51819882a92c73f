/**
 * A worker that dies (SIGKILL, OOM) around the acknowledgement of a batched or chained job. The bus
 * counts the job (idempotently: a mark per job in job_batch_marks) before the ack, and the ack stores
 * the job's follow-ups (its chain's next link, the batch callbacks its count decided) in the same atomic
 * step (ReservedJob.deleteAndPush). So a kill either leaves the job reserved (it runs again after
 * retry_after and is not counted twice) or leaves it acknowledged with its follow-ups stored.
 *
 * A kill is simulated by a reservation whose ack throws: "before the ack" writes nothing, "after the
 * ack" writes it and then throws. A restarted worker then drains the queue.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import type { FollowUpPush, ReservedJob } from '../../framework/queue/contracts.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import { availableEngines } from '../support/services.ts'
import { busTargets, busTestApp, type BusTestApp } from './bus-support.ts'

const log: string[] = []

class Member extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
  }
}

class Fails extends QueuedJob {
  override tries = 1
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
    throw new Error(`${this.label} broke`)
  }
}

class Callback extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(this.label)
  }
}

class Killed extends Error {}

type Kill = 'before the ack' | 'after the ack'
const KILLS: Kill[] = ['before the ack', 'after the ack']

const targets = await busTargets(await availableEngines())

describe.each(targets)('a worker killed around the ack of a batched or chained job (%s)', (target) => {
  let ctx: BusTestApp

  beforeAll(async () => {
    ctx = await busTestApp(target, [Member, Fails, Callback])
  }, 60_000)

  afterAll(async () => {
    await ctx?.close()
  })

  beforeEach(async () => {
    log.length = 0
    await ctx.reset()
  })

  /** Runs the next job of `default`; with `kill`, the process "dies" at that instant of its ack. */
  async function runNext(kill?: Kill): Promise<void> {
    const [reserved] = await (await ctx.app.make('queue').connection(ctx.connection)).pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    const job = kill ? dying(reserved, kill) : reserved
    await processJob(ctx.app, job, workerOptions({ tries: 3, sleep: 0 })).catch((error: unknown) => {
      if (!(error instanceof Killed)) throw error
    })
  }

  /** The restarted worker: the dead worker's reservations have expired; it drains the queue. */
  async function restart(tries = 3): Promise<void> {
    await expireReservations()
    const errors: unknown[] = []
    const worker = new Worker(ctx.app, ctx.connection, workerOptions({ queues: ['default'], stopWhenEmpty: true, sleep: 0, tries }), {
      listenForSignals: false,
      onError: (error) => void errors.push(error),
    })
    await worker.daemon()
    expect(errors).toEqual([])
  }

  /** What retry_after would do to a dead worker's reservations, without waiting 90 seconds. */
  async function expireReservations(): Promise<void> {
    if (ctx.connection === 'database') {
      await ctx.db('jobs').whereNotNull('reserved_at').update({ reserved_at: 1 })
      return
    }
    const redis = ctx.app.make('redis').connection('default')
    const key = 'queues:{default}:reserved'
    for (const id of await redis.zrange(key, 0, -1)) await redis.zadd(key, 0, id)
  }

  function count(label: string): number {
    return log.filter((entry) => entry === label).length
  }

  describe.each(KILLS)('killed %s', (kill) => {
    it('counts every member once and runs then and finally once, when the deciding member is killed', async () => {
      const batch = await Bus.batch([new Member('one'), new Member('two'), new Member('three')])
        .then(new Callback('then'))
        .finally(new Callback('finally'))
        .dispatch()
      await runNext()
      await runNext()
      await runNext(kill)
      // Counted before the ack either way; the callbacks are stored only with the ack.
      expect(await Bus.findBatch(batch.id)).toMatchObject({ pendingJobs: 0 })
      expect(await ctx.size()).toBe(kill === 'before the ack' ? 1 : 2)
      await restart()
      expect(count('one')).toBe(1)
      expect(count('two')).toBe(1)
      // Killed before its ack, the last member runs again (at-least-once); after it, it does not.
      expect(count('three')).toBe(kill === 'before the ack' ? 2 : 1)
      expect(count('then')).toBe(1)
      expect(count('finally')).toBe(1)
      expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 3, pendingJobs: 0, failedJobs: 0 })
      expect((await Bus.findBatch(batch.id))?.finished()).toBe(true)
    })

    it('counts a member killed early once, and the batch still finishes', async () => {
      const batch = await Bus.batch([new Member('one'), new Member('two')]).finally(new Callback('finally')).dispatch()
      await runNext(kill)
      await restart()
      expect(count('two')).toBe(1)
      expect(count('finally')).toBe(1)
      expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 2, pendingJobs: 0, failedJobs: 0 })
    })

    it('counts a failing member once and runs catch and finally once', async () => {
      const batch = await Bus.batch([new Member('one'), new Fails('bad')])
        .allowFailures()
        .catch(new Callback('catch'))
        .finally(new Callback('finally'))
        .dispatch()
      await runNext()
      await runNext(kill)
      await restart()
      expect(count('catch')).toBe(1)
      expect(count('finally')).toBe(1)
      expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 2, pendingJobs: 1, failedJobs: 1 })
      expect(Number((await ctx.db('failed_jobs').count({ n: '*' }).first())?.n)).toBe(1)
    })

    it('pushes each link of a chain once, in order', async () => {
      await Bus.chain([new Member('first'), new Member('second'), new Member('third')]).dispatch()
      await runNext()
      await runNext(kill)
      await restart()
      expect([...new Set(log)]).toEqual(['first', 'second', 'third'])
      expect(count('first')).toBe(1)
      expect(count('second')).toBe(kill === 'before the ack' ? 2 : 1)
      expect(count('third')).toBe(1)
    })

    it('pushes the catch job of a chain once when its failing link is killed', async () => {
      await Bus.chain([new Member('first'), new Fails('bad'), new Member('never')]).catch(new Callback('caught')).dispatch()
      await runNext()
      await runNext(kill)
      await restart()
      expect(count('caught')).toBe(1)
      expect(count('never')).toBe(0)
    })
  })

  it('keeps the counted success of a member that is redelivered past its tries', async () => {
    const batch = await Bus.batch([new Member('one'), new Member('two')]).then(new Callback('then')).finally(new Callback('finally')).dispatch()
    await runNext()
    await runNext('before the ack')
    // tries = 1: the redelivered member fails on its attempts, but its success was counted already.
    await restart(1)
    expect(count('then')).toBe(1)
    expect(count('finally')).toBe(1)
    expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 2, pendingJobs: 0, failedJobs: 0 })
  })

  it('deleteAndPush stores nothing when the lease was lost, and the new holder stores the follow-ups with its ack', async () => {
    const driver = await ctx.app.make('queue').connection(ctx.connection)
    await driver.pushRaw(JSON.stringify({ uuid: 'lease-test', job: 'x' }), 'default')
    const [stale] = await driver.pop('default', 1)
    await expireReservations()
    const [holder] = await driver.pop('default', 1)
    if (!stale?.deleteAndPush || !holder?.deleteAndPush) throw new Error(`${ctx.connection}: expected deleteAndPush`)
    expect(holder.id).toBe(stale.id)

    expect(await stale.deleteAndPush([{ queue: 'default', payload: 'from the stale worker', delay: 0 }])).toEqual([])
    expect(stale.leaseLost).toBe(true)
    expect(await ctx.size('default')).toBe(1) // the job, still reserved by its new holder

    const ids = await holder.deleteAndPush([
      { queue: 'default', payload: 'next link', delay: 0 },
      { queue: 'orders', payload: 'callback', delay: 0 },
      { queue: 'default', payload: 'later', delay: 60 },
    ])
    expect(ids).toHaveLength(3)
    expect(holder.leaseLost).toBeFalsy()
    expect(await ctx.size('default')).toBe(2)
    expect(await ctx.size('orders')).toBe(1)
    expect((await driver.pop('default', 5)).map((job) => job.rawBody)).toEqual(['next link'])
    expect((await driver.pop('orders', 5)).map((job) => [job.id, job.rawBody])).toEqual([[ids[1], 'callback']])
  })

  it('runs batches and chains to the end with prefetching and concurrency (bus jobs acked beside the deferred acks)', async () => {
    const batch = await Bus.batch(Array.from({ length: 12 }, (_, i) => new Member(`m${i}`)))
      .then(new Callback('then'))
      .finally(new Callback('finally'))
      .dispatch()
    await Bus.chain([new Member('first'), new Member('second'), new Member('third')]).dispatch()
    const errors: unknown[] = []
    // --stop-when-empty can stop while the last job's follow-ups are being stored (its claim raced their
    // commit): a new worker picks them up, as a supervisor would restart one.
    for (let run = 0; run < 5 && (run === 0 || (await ctx.size()) > 0); run++) {
      const worker = new Worker(ctx.app, ctx.connection, workerOptions({ queues: ['default'], stopWhenEmpty: true, sleep: 0, tries: 3, concurrency: 3, prefetch: 4 }), {
        listenForSignals: false,
        onError: (error) => void errors.push(error),
        onWarning: () => undefined, // Redis cannot prefetch: it says so and works without
      })
      await worker.daemon()
    }
    expect(errors).toEqual([])
    expect(count('then')).toBe(1)
    expect(count('finally')).toBe(1)
    expect(log.filter((entry) => ['first', 'second', 'third'].includes(entry))).toEqual(['first', 'second', 'third'])
    expect(await Bus.findBatch(batch.id)).toMatchObject({ totalJobs: 12, pendingJobs: 0, failedJobs: 0 })
    expect(await ctx.size()).toBe(0)
  })

  it('runs both to the end when nothing dies', async () => {
    const batch = await Bus.batch([new Member('one'), new Member('two')]).finally(new Callback('finally')).dispatch()
    await Bus.chain([new Member('first'), new Member('second')]).dispatch()
    await runNext()
    await restart()
    expect(log.sort()).toEqual(['finally', 'first', 'one', 'second', 'two'])
    expect(await Bus.findBatch(batch.id)).toMatchObject({ pendingJobs: 0 })
  })
})

/** A reservation whose acknowledgement "kills the process": before writing anything, or right after. */
function dying(reserved: ReservedJob, kill: Kill): ReservedJob {
  const job = Object.create(reserved) as ReservedJob & { delete(): Promise<void>; deleteAndPush?(pushes: readonly FollowUpPush[]): Promise<string[]> }
  job.delete = async () => {
    if (kill === 'after the ack') await reserved.delete()
    throw new Killed('SIGKILL')
  }
  if (reserved.deleteAndPush) {
    job.deleteAndPush = async (pushes) => {
      if (kill === 'after the ack') await reserved.deleteAndPush?.(pushes)
      throw new Killed('SIGKILL')
    }
  }
  return job
}

/**
 * Chains on the database driver of every reachable engine and on Redis, run by the real worker: order,
 * stop on failure with the catch job, prepend/append from inside a job, where the links are queued, and
 * the signature that covers the chain a payload carries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { JobProcessed } from '../../framework/queue/events.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { availableEngines } from '../support/services.ts'
import { busTargets, busTestApp, type BusTestApp } from './bus-support.ts'

const log: string[] = []

class Step extends QueuedJob {
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
  override failed(error: Error) {
    log.push(`failed(${this.label}): ${error.message}`)
  }
}

class ChainFailed extends QueuedJob {
  constructor(public orderId: number) {
    super()
  }
  handle() {
    const failure = this.failure()
    log.push(`catch ${this.orderId}: ${failure?.job} - ${failure?.message}`)
  }
}

class Extends extends QueuedJob {
  handle() {
    log.push('extends')
    this.appendToChain(new Step('appended'))
    this.prependToChain(new Step('prepended-1'))
    this.prependToChain(new Step('prepended-2'))
  }
}

class WhereAmI extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    log.push(`${this.label}@${this.job.queue}`)
  }
}

/** Runs until the test opens its gate: the job is in flight while the worker looks at the queue again. */
class Gated extends QueuedJob {
  static gate: Promise<void> = Promise.resolve()
  handle() {
    log.push('gated')
    return Gated.gate
  }
}

const targets = await busTargets(await availableEngines())

describe.each(targets)('chains on %s', (target) => {
  let t: BusTestApp

  beforeAll(async () => {
    t = await busTestApp(target, [Step, Breaks, ChainFailed, Extends, WhereAmI, Gated])
  }, 60_000)

  afterAll(async () => {
    await t?.close()
  })

  beforeEach(async () => {
    log.length = 0
    await t.reset()
  })

  it('runs the jobs in order, queuing each only once the previous one succeeded', async () => {
    await Bus.chain([new Step('process'), new Step('invoice'), new Step('notify')]).dispatch()
    // Only the first job is on the queue: the others travel in its payload.
    expect(await t.size()).toBe(1)
    await t.drain()
    expect(log).toEqual(['process', 'invoice', 'notify'])
    expect(await t.size()).toBe(0)
  })

  it('stops at a failed link and dispatches the catch job with the failure', async () => {
    await Bus.chain([new Step('process'), new Breaks('invoice'), new Step('notify')]).catch(new ChainFailed(42)).dispatch()
    await t.drain()
    expect(log).toEqual(['process', 'invoice', 'failed(invoice): invoice broke', 'catch 42: Breaks - invoice broke'])
    const failed = await t.db('failed_jobs').select('payload')
    expect(failed).toHaveLength(1)
    expect(JSON.parse(String(failed[0]?.payload)).job).toBe('Breaks')
  })

  it('stops a chain without catch job quietly', async () => {
    await Bus.chain([new Breaks('first'), new Step('never')]).dispatch()
    await t.drain()
    expect(log).toEqual(['first', 'failed(first): first broke'])
  })

  it('lets a job prepend and append to its chain', async () => {
    await Bus.chain([new Extends(), new Step('stored')]).dispatch()
    await t.drain()
    expect(log).toEqual(['extends', 'prepended-2', 'prepended-1', 'stored', 'appended'])
  })

  it('lets a job that is not chained append a follow-up', async () => {
    await Bus.dispatch(new Extends())
    await t.drain()
    expect(log).toEqual(['extends', 'prepended-2', 'prepended-1', 'appended'])
  })

  it("queues links on the chain's queue unless a job names its own", async () => {
    const own = new WhereAmI('own')
    own.queue = 'high'
    await Bus.chain([new WhereAmI('first'), own, new WhereAmI('last')]).onQueue('orders').dispatch()
    await t.drain(['orders', 'high'])
    expect(log).toEqual(['first@orders', 'own@high', 'last@orders'])
  })

  it('delays the first job only', async () => {
    await Bus.chain([new Step('later'), new Step('after')]).delay(3600).dispatch()
    await t.drain()
    expect(log).toEqual([])
    expect(await t.size()).toBe(1)
  })

  it.skipIf(target === 'redis')('signs the chain it carries: a payload whose remaining jobs were edited is rejected and the chain stops', async () => {
    await Bus.chain([new Step('first'), new Step('second')]).dispatch()
    const [row] = await t.db('jobs').select('id', 'payload')
    const payload = JSON.parse(String(row?.payload)) as { chained: { payload: string }[] }
    expect(payload.chained).toHaveLength(1)
    payload.chained.push({ ...payload.chained[0]! })
    await t.db('jobs').where('id', row?.id).update({ payload: JSON.stringify(payload) })
    await t.drain()
    expect(log).toEqual([])
    const [failed] = await t.db('failed_jobs').select('exception')
    expect(String(failed?.exception)).toContain('E_INVALID_SIGNATURE')
  })

  it('--stop-when-empty runs the next link stored by an ack that finished while a claim that found nothing was out', async () => {
    // The race behind a flaky 2-worker batch run: the claim is answered "empty" (its read predates the
    // ack), the ack then stores the next link and frees the last slot, and the worker, seeing no job
    // started and none in flight, took the queue for empty and stopped with the link unrun.
    let openGate = () => undefined as void
    Gated.gate = new Promise<void>((resolve) => (openGate = resolve))
    await Bus.chain([new Gated(), new Step('next')]).dispatch()
    let off = () => undefined as void
    const processed = new Promise<void>((resolve) => (off = t.app.make('events').listen(JobProcessed, () => resolve())))
    const driver = await t.app.make('queue').connection(t.connection)
    const pop = driver.pop.bind(driver)
    let claims = 0
    driver.pop = async (queue, max) => {
      const jobs = await pop(queue, max)
      if (++claims !== 2) return jobs
      expect(jobs).toEqual([])
      openGate()
      // Answer only once the gated job is acknowledged (the next link stored) and its slot is free.
      await processed
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve))
      expect(await t.size()).toBe(1)
      return jobs
    }
    try {
      await t.drain(['default'], 2)
    } finally {
      delete (driver as Partial<typeof driver>).pop
      off()
    }
    expect(claims).toBeGreaterThanOrEqual(2)
    expect(log).toEqual(['gated', 'next'])
    expect(await t.size()).toBe(0)
  })

  it('refuses an empty chain and a class instead of an instance', async () => {
    await expect(Bus.chain([]).dispatch()).rejects.toMatchObject({ code: 'E_INVALID_CHAIN' })
    await expect(Bus.chain([Step as never]).dispatch()).rejects.toMatchObject({ code: 'E_INVALID_CHAIN' })
  })
})

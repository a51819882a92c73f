import { AssertionError } from 'node:assert'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { Job, QueuedJob } from '../../framework/queue/job.ts'
import { Queue } from '../../framework/queue/queue-facade.ts'
import { QueueManager } from '../../framework/queue/queue-manager.ts'
import { QueueFake } from '../../framework/testing/queue-fake.ts'
import { repoRoot } from '../support/craft.ts'

const handled: string[] = []

class ShipOrder extends QueuedJob {
  constructor(public orderId: number) {
    super()
  }

  handle() {
    handled.push(`ship:${this.orderId}`)
  }
}

class RefundOrder extends QueuedJob {
  handle() {}
}

class LogNow extends Job {
  handle() {
    handled.push('log-now')
  }
}

let app: Application

beforeAll(async () => {
  app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { queue: { default: 'database' } } })
})

afterAll(() => app.shutdown())

function fresh(): QueueFake {
  handled.length = 0
  return Queue.fake()
}

describe('Queue.fake()', () => {
  it('records pushes instead of storing or running them, and restore() brings the real queue back', async () => {
    const fake = fresh()
    expect(app.make('queue')).toBe(fake)
    const id = await ShipOrder.dispatch(1)
    expect(typeof id).toBe('string')
    expect(handled).toEqual([])
    expect(fake.all()).toHaveLength(1)
    fake.restore()
    expect(app.make('queue')).not.toBe(fake)
    expect(app.make('queue')).toBeInstanceOf(QueueManager)
  })

  it('leaves plain (non-queued) jobs running, as in Laravel', async () => {
    const fake = fresh()
    await LogNow.dispatch()
    expect(handled).toEqual(['log-now'])
    fake.assertNothingPushed()
    fake.restore()
  })

  it('assertPushed: at least once, exactly n times, or matching a predicate', async () => {
    const fake = fresh()
    await ShipOrder.dispatch(1)
    await ShipOrder.dispatch(2)
    fake.assertPushed(ShipOrder)
    fake.assertPushed(ShipOrder, 2)
    fake.assertPushed(ShipOrder, (job) => job.orderId === 2)
    expect(() => fake.assertPushed(ShipOrder, 3)).toThrow(AssertionError)
    expect(() => fake.assertPushed(ShipOrder, 3)).toThrow(/pushed 3 time\(s\), but it was pushed 2/)
    expect(() => fake.assertPushed(ShipOrder, (job) => job.orderId === 99)).toThrow(AssertionError)
    expect(() => fake.assertPushed(RefundOrder)).toThrow(/Expected \[RefundOrder\] to be pushed, but it was not\. Pushed: ShipOrder/)
    expect(fake.pushed(ShipOrder).map((job) => job.orderId)).toEqual([1, 2])
    fake.restore()
  })

  it('assertPushedOn checks the queue', async () => {
    const fake = fresh()
    await ShipOrder.dispatch(1).onQueue('shipping')
    fake.assertPushedOn('shipping', ShipOrder)
    fake.assertPushedOn('shipping', ShipOrder, (job) => job.orderId === 1)
    expect(() => fake.assertPushedOn('default', ShipOrder)).toThrow(/on queue \[default\]/)
    fake.restore()
  })

  it('assertNotPushed, assertNothingPushed and assertCount, and their failures', async () => {
    const fake = fresh()
    fake.assertNothingPushed()
    fake.assertCount(0)
    await ShipOrder.dispatch(5)
    await Queue.push(new RefundOrder())
    fake.assertNotPushed(ShipOrder, (job) => job.orderId === 6)
    fake.assertCount(2)
    expect(() => fake.assertNotPushed(RefundOrder)).toThrow(/not to be pushed.*1 time/)
    expect(() => fake.assertNothingPushed()).toThrow(AssertionError)
    expect(() => fake.assertCount(1)).toThrow(/Expected 1 job\(s\) to be pushed, but 2 were/)
    fake.restore()
  })

  it('records the connection, queue and delay and still refuses bad data and unknown connections', async () => {
    const fake = fresh()
    await ShipOrder.dispatch(3).onConnection('redis').onQueue('q').delay(20)
    expect(fake.all()[0]).toMatchObject({ connection: 'redis', queue: 'q', delay: 20, payload: { job: 'ShipOrder', data: { orderId: 3 } } })
    await expect(ShipOrder.dispatch(3).onConnection('nope')).rejects.toMatchObject({ code: 'E_UNKNOWN_QUEUE_CONNECTION' })
    await expect(ShipOrder.dispatch(Symbol('x') as unknown as number)).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_JOB_DATA' })
    expect(await Queue.connection('redis').size('q')).toBe(1)
    fake.restore()
  })
})

import { AssertionError } from 'node:assert'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { Dispatcher } from '../../framework/bus/dispatcher.ts'
import { Application } from '../../framework/foundation/application.ts'
import { Job, QueuedJob } from '../../framework/queue/job.ts'
import type { BusFake } from '../../framework/testing/bus-fake.ts'
import { repoRoot } from '../support/craft.ts'

const handled: string[] = []

class ProcessOrder extends QueuedJob {
  constructor(public orderId: number) {
    super()
  }
  handle() {
    handled.push(`process:${this.orderId}`)
  }
}

class SendInvoice extends QueuedJob {
  constructor(public orderId: number) {
    super()
  }
  handle() {}
}

class NotifyCustomer extends QueuedJob {
  handle() {}
}

class LogNow extends Job {
  handle() {
    handled.push('log-now')
  }
}

let app: Application
let bus: BusFake | undefined

beforeAll(async () => {
  // No database: anything that escaped the fake would fail to reach a queue.
  app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { queue: { default: 'database' } } })
})

afterEach(() => {
  bus?.restore()
  bus = undefined
  handled.length = 0
})

afterAll(() => app.shutdown())

describe('Bus.fake()', () => {
  it('records dispatched jobs without running them, with counts and predicates', async () => {
    bus = Bus.fake()
    await ProcessOrder.dispatch(1)
    await ProcessOrder.dispatch(2).onQueue('orders')
    await LogNow.dispatch()
    expect(handled).toEqual([])
    bus.assertDispatched(ProcessOrder)
    bus.assertDispatched(ProcessOrder, 2)
    bus.assertDispatchedTimes(LogNow, 1)
    bus.assertDispatched(ProcessOrder, (job, dispatched) => job.orderId === 2 && dispatched.options.queue === 'orders')
    bus.assertNotDispatched(SendInvoice)
    bus.assertNotDispatched(ProcessOrder, (job) => job.orderId === 3)
    expect(bus.dispatched(ProcessOrder).map((job) => job.orderId)).toEqual([1, 2])
    expect(() => bus?.assertDispatched(ProcessOrder, 3)).toThrow(AssertionError)
    expect(() => bus?.assertDispatched(SendInvoice)).toThrow(/Expected \[SendInvoice\] to be dispatched/)
    expect(() => bus?.assertNotDispatched(ProcessOrder)).toThrow(AssertionError)
    expect(() => bus?.assertNothingDispatched()).toThrow(AssertionError)
  })

  it('records dispatchSync separately', async () => {
    bus = Bus.fake()
    await ProcessOrder.dispatchSync(5)
    await Bus.dispatchSync(new SendInvoice(5))
    expect(handled).toEqual([])
    bus.assertDispatchedSync(ProcessOrder)
    bus.assertDispatchedSync(SendInvoice, (job) => job.orderId === 5)
    await ProcessOrder.dispatch(6)
    expect(() => bus?.assertDispatchedSync(ProcessOrder, (job) => job.orderId === 6)).toThrow(AssertionError)
  })

  it('passes assertNothingDispatched when nothing was dispatched', () => {
    bus = Bus.fake()
    bus.assertNothingDispatched()
    bus.assertNothingBatched()
  })

  it('asserts chains by classes or by instances, in order', async () => {
    bus = Bus.fake()
    await Bus.chain([new ProcessOrder(7), new SendInvoice(7), new NotifyCustomer()]).onQueue('orders').dispatch()
    bus.assertChained([ProcessOrder, SendInvoice, NotifyCustomer])
    bus.assertChained([new ProcessOrder(7), new SendInvoice(7), NotifyCustomer])
    // The first job of a chain counts as dispatched, with the rest of the chain beside it.
    bus.assertDispatched(ProcessOrder, (job, dispatched) => job.orderId === 7 && dispatched.chain.length === 2)
    expect(() => bus?.assertChained([SendInvoice, ProcessOrder, NotifyCustomer])).toThrow(/Chains dispatched: \[ProcessOrder, SendInvoice, NotifyCustomer\]/)
    expect(() => bus?.assertChained([ProcessOrder, SendInvoice])).toThrow(AssertionError)
    expect(() => bus?.assertChained([new ProcessOrder(8), SendInvoice, NotifyCustomer])).toThrow(AssertionError)
  })

  it('asserts batches with a predicate over the pending batch', async () => {
    bus = Bus.fake()
    const batch = await Bus.batch([new ProcessOrder(1), [new ProcessOrder(2), new SendInvoice(2)]])
      .then(new NotifyCustomer())
      .allowFailures()
      .name('orders')
      .onQueue('orders')
      .dispatch()
    expect(batch.totalJobs).toBe(3)
    expect(batch.name).toBe('orders')
    bus.assertBatched((pending) => pending.batchName === 'orders' && pending.jobs.length === 2 && pending.options.allowFailures)
    bus.assertBatched((pending) => pending.options.then[0] instanceof NotifyCustomer && pending.options.queue === 'orders')
    bus.assertBatchCount(1)
    expect(() => bus?.assertBatched((pending) => pending.batchName === 'other')).toThrow(AssertionError)
    expect(() => bus?.assertNothingBatched()).toThrow(AssertionError)
    expect(() => bus?.assertNothingDispatched()).toThrow(AssertionError)
  })

  it('restore() puts the real dispatcher back', () => {
    const fake = Bus.fake()
    expect(app.make('bus')).toBe(fake)
    fake.restore()
    expect(app.make('bus')).toBeInstanceOf(Dispatcher)
    expect(app.make('bus')).not.toBe(fake)
  })
})

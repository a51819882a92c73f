import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventDispatcher } from '../../framework/events/dispatcher.ts'
import { Application } from '../../framework/foundation/application.ts'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing, JobQueued, Looping } from '../../framework/queue/events.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { Queue } from '../../framework/queue/queue-facade.ts'
import { repoRoot } from '../support/craft.ts'

class OrderPlaced {
  constructor(readonly id: number) {}
}
class PriorityOrderPlaced extends OrderPlaced {}
class Unrelated {}

describe('EventDispatcher', () => {
  it('calls the listeners of an event class in order, awaiting each, with the event', async () => {
    const events = new EventDispatcher()
    const seen: string[] = []
    events.listen(OrderPlaced, async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      seen.push(`first:${event.id}`)
    })
    events.listen(OrderPlaced, (event) => void seen.push(`second:${event.id}`))
    events.listen(Unrelated, () => void seen.push('unrelated'))
    await events.dispatch(new OrderPlaced(1))
    expect(seen).toEqual(['first:1', 'second:1'])
  })

  it('delivers subclass events to listeners of the parent class', async () => {
    const events = new EventDispatcher()
    const seen: string[] = []
    events.listen(OrderPlaced, (event) => void seen.push(`order:${event.constructor.name}`))
    events.listen(PriorityOrderPlaced, () => void seen.push('priority'))
    await events.dispatch(new PriorityOrderPlaced(2))
    await events.dispatch(new OrderPlaced(3))
    expect(seen).toEqual(['priority', 'order:PriorityOrderPlaced', 'order:OrderPlaced'])
    expect(events.hasListeners(PriorityOrderPlaced)).toBe(true)
    expect(events.hasListeners(Unrelated)).toBe(false)
  })

  it('unsubscribes, forgets, and propagates a listener error to the dispatcher', async () => {
    const events = new EventDispatcher()
    const seen: number[] = []
    const stop = events.listen(OrderPlaced, (event) => void seen.push(event.id))
    await events.dispatch(new OrderPlaced(1))
    stop()
    await events.dispatch(new OrderPlaced(2))
    events.listen(OrderPlaced, () => {
      throw new Error('listener broke')
    })
    await expect(events.dispatch(new OrderPlaced(3))).rejects.toThrow('listener broke')
    events.forget(OrderPlaced)
    await events.dispatch(new OrderPlaced(4))
    expect(seen).toEqual([1])
  })
})

describe('queue events and the Queue listener shortcuts', () => {
  let app: Application
  beforeAll(async () => {
    app = await Application.create({ basePath: repoRoot, loadEnv: false })
  })
  afterAll(() => app.shutdown())

  it('Queue.before/after/failing/exceptionOccurred/looping listen on the app dispatcher', async () => {
    const seen: string[] = []
    const reserved = { id: '1', queue: 'default', connectionName: 'database' } as ReservedJob
    const stops = [
      Queue.before((e) => void seen.push(`before:${e.job.id}`)),
      Queue.after((e) => void seen.push(`after:${e.connectionName}`)),
      Queue.failing((e) => void seen.push(`failing:${e.error.message}`)),
      Queue.exceptionOccurred((e) => void seen.push(`exception:${e.error.message}`)),
      Queue.looping((e) => void seen.push(`looping:${e.queue}`)),
    ]
    const events = app.make('events')
    await events.dispatch(new JobProcessing('database', reserved, null))
    await events.dispatch(new JobProcessed('database', reserved, null))
    await events.dispatch(new JobExceptionOccurred('database', reserved, null, new Error('oops')))
    await events.dispatch(new JobFailed('database', reserved, null, new Error('dead')))
    await events.dispatch(new Looping('database', 'high,default'))
    expect(seen).toEqual(['before:1', 'after:database', 'exception:oops', 'failing:dead', 'looping:high,default'])
    for (const stop of stops) stop()
    await events.dispatch(new Looping('database', 'default'))
    expect(seen).toHaveLength(5)
  })

  it('dispatching a queued job fires JobQueued', async () => {
    class Ping extends QueuedJob {
      handle() {}
    }
    const fake = Queue.fake()
    const seen: JobQueued[] = []
    app.make('events').listen(JobQueued, (event) => void seen.push(event))
    const id = await Ping.dispatch().onQueue('pings')
    expect(seen.map((e) => [e.id, e.queue, e.payload.job])).toEqual([[id, 'pings', 'Ping']])
    fake.restore()
  })
})

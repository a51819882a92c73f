/**
 * `Queue`: a typed facade over the application's queue, for raw use and listeners. Jobs are usually
 * dispatched with `MyJob.dispatch()`; `Queue.push(job)` stores one on a queue whatever its class.
 *
 *   await Queue.push(new SendWelcomeEmail(1))
 *   await Queue.connection('redis').later(60, new SendWelcomeEmail(1), 'emails')
 *   Queue.failing((event) => log.error(event.error))
 */
import { Application } from '../foundation/application.ts'
import { fakeQueue, type QueueFake } from '../testing/queue-fake.ts'
import type { Listener } from '../events/dispatcher.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing, Looping } from './events.ts'
import type { Job } from './job.ts'

/** The queue operations of one connection. */
export interface QueueConnection {
  /** Stores `job` on `queue` (its own queue, else the connection's default); yields the id. */
  push(job: Job, queue?: string): Promise<string>
  /** Stores `job`, available after `delay` seconds or at `delay` (a Date). */
  later(delay: number | Date, job: Job, queue?: string): Promise<string>
  bulk(jobs: Job[], queue?: string): Promise<string[]>
  /** Stores an already encoded payload as is (queue:retry, tools). */
  pushRaw(payload: string, queue?: string): Promise<string>
  /** Jobs waiting, delayed or reserved on `queue`. */
  size(queue?: string): Promise<number>
}

export interface QueueFacade extends QueueConnection {
  connection(name?: string): QueueConnection
  /** Before each job runs (JobProcessing). Each returns a function that removes the listener. */
  before(listener: Listener<JobProcessing>): () => void
  /** After each job succeeds (JobProcessed). */
  after(listener: Listener<JobProcessed>): () => void
  /** When a job fails for good (JobFailed). */
  failing(listener: Listener<JobFailed>): () => void
  exceptionOccurred(listener: Listener<JobExceptionOccurred>): () => void
  /** Before a worker looks for its next job (Looping). */
  looping(listener: Listener<Looping>): () => void
  /** Replaces the queue with a fake that records pushes (tests); see QueueFake. */
  fake(): QueueFake
}

export const Queue: QueueFacade = {
  ...connectionOf(undefined),
  connection: (name) => connectionOf(name),
  before: (listener) => events().listen(JobProcessing, listener),
  after: (listener) => events().listen(JobProcessed, listener),
  failing: (listener) => events().listen(JobFailed, listener),
  exceptionOccurred: (listener) => events().listen(JobExceptionOccurred, listener),
  looping: (listener) => events().listen(Looping, listener),
  fake: () => fakeQueue(Application.current()),
}

/** Operations bound to a connection name, resolved at call time (undefined = the default connection). */
function connectionOf(name: string | undefined): QueueConnection {
  const app = () => Application.current()
  const resolve = () => name ?? app().make('queue').defaultConnection
  const driver = () => app().make('queue').connection(resolve())
  const queueOf = (queue?: string) => queue ?? app().make('queue').defaultQueue(resolve())
  return {
    push: (job, queue) => app().make('bus').pushJob(job, resolve(), queue),
    later: (delay, job, queue) => app().make('bus').pushJob(job, resolve(), queue, delay),
    bulk: (jobs, queue) => app().make('bus').bulk(jobs, resolve(), queue),
    pushRaw: async (payload, queue) => (await driver()).pushRaw(payload, queueOf(queue)),
    size: async (queue) => (await driver()).size(queueOf(queue)),
  }
}

function events() {
  return Application.current().make('events')
}

/**
 * `Bus`: chains, batches and the bus fake, as a typed object.
 *
 * Closures cannot cross processes, so a chain's `catch` and a batch's `then`/`catch`/`finally` are JOBS
 * (instances of registered job classes), not callbacks: they are encoded at dispatch like any job and
 * pushed when the moment comes, on whichever worker sees it. Inside them, `await this.batch()` is the
 * batch and `this.failure()` (catch jobs) names the job that failed and its error message.
 *
 *   await Bus.chain([new ProcessOrder(id), new SendInvoice(id)]).catch(new OrderFailed(id)).dispatch()
 *   const batch = await Bus.batch([new Send(1), new Send(2)]).then(new AllSent()).name('newsletter').dispatch()
 *   (await Bus.findBatch(batch.id))?.progress()
 */
import { Application } from '../foundation/application.ts'
import type { Job } from '../queue/job.ts'
import { fakeBus, type BusFake } from '../testing/bus-fake.ts'
import { findBatch, type Batch, type BatchItem } from './batch.ts'
import { dispatch, dispatchSync } from './dispatch.ts'
import type { PendingDispatch } from '../queue/pending-dispatch.ts'
import { PendingBatch } from './pending-batch.ts'
import { PendingChain } from './pending-chain.ts'

export interface BusFacade {
  /** Queues `job` (or runs it now if it is not a QueuedJob); awaiting yields the job id. */
  dispatch(job: Job): PendingDispatch
  dispatchSync(job: Job): PendingDispatch
  /** Jobs that run one after the other, each only once the previous one succeeded. */
  chain(jobs: readonly Job[]): PendingChain
  /** Shorthand for `Bus.chain(jobs).dispatch()`. */
  dispatchChain(jobs: readonly Job[]): Promise<string>
  /** Jobs (and chains, as arrays) tracked together in job_batches. */
  batch(items: BatchItem[]): PendingBatch
  /** The batch `id` as stored now, or null. */
  findBatch(id: string): Promise<Batch | null>
  /** Records dispatches, chains and batches instead of running them (tests); see BusFake. */
  fake(): BusFake
}

export const Bus: BusFacade = {
  dispatch: (job) => dispatch(job),
  dispatchSync: (job) => dispatchSync(job),
  chain: (jobs) => new PendingChain(jobs),
  dispatchChain: (jobs) => new PendingChain(jobs).dispatch(),
  batch: (items) => new PendingBatch(items),
  findBatch: (id) => findBatch(Application.current(), id),
  fake: () => fakeBus(Application.current()),
}

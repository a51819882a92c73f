/**
 * What happens to a batch's counters and callbacks: jobs are counted before they are pushed (so an early
 * finisher cannot bring pending_jobs to 0 while siblings are still being added), and every decision to
 * dispatch then/catch/finally is taken from the counts the atomic update itself returned. Exactly one
 * update brings pending_jobs to 0 (then), one brings failed_jobs to 1 (catch), one brings
 * pending_jobs - failed_jobs to 0 (finally).
 */
import type { Application } from '../foundation/application.ts'
import { JobQueued } from '../queue/events.ts'
import { Job } from '../queue/job.ts'
import { decodePayload } from '../queue/payload-codec.ts'
import type { BatchItem } from './batch.ts'
import type { BatchOptions } from './batch-repository.ts'
import { prepareChain, push, type PreparedPush } from './chain.ts'
import { InvalidBatchError } from './errors.ts'
import { withBusFields, type BusFailure, type EncodedLink } from './payload-fields.ts'

/** Counts and pushes `items` (jobs, or chains as arrays of jobs) into batch `batch.id`; yields how many jobs. */
export async function addToBatch(app: Application, batch: { id: string; options: Readonly<BatchOptions> }, items: readonly BatchItem[]): Promise<number> {
  if (!Array.isArray(items)) throw new InvalidBatchError('expected an array of jobs and chains')
  // Everything is encoded before anything is counted or pushed: one bad job refuses the whole add.
  const prepared: PreparedPush[] = []
  let count = 0
  for (const [index, item] of items.entries()) {
    const chain = Array.isArray(item) ? (item as readonly Job[]) : [item as Job]
    if (chain.length === 0 || !chain.every((job) => job instanceof Job)) throw new InvalidBatchError(`item ${index} is neither a job instance nor a non-empty array of them`)
    prepared.push(await prepareChain(app, chain, { connection: batch.options.connection ?? undefined, queue: batch.options.queue ?? undefined, batchId: batch.id }))
    count += chain.length
  }
  if (count === 0) return 0
  await app.make('bus.batches').incrementTotalJobs(batch.id, count)
  await pushAll(app, prepared)
  return count
}

/** A batched job succeeded: count it, and dispatch then/finally if this was the deciding job. */
export async function recordSuccessfulJob(app: Application, batchId: string, jobId: string): Promise<void> {
  const repository = app.make('bus.batches')
  const counts = await repository.decrementPendingJobs(batchId, jobId)
  if (!counts) return // the batch was deleted or pruned meanwhile
  if (counts.pendingJobs === 0) await repository.markAsFinished(batchId)
  const allRan = counts.pendingJobs - counts.failedJobs === 0
  if (counts.pendingJobs !== 0 && !allRan) return
  const record = await repository.find(batchId)
  if (!record) return
  // A cancelled batch's skipped jobs did no work: it does not run `then` (Laravel would), only `finally`.
  if (counts.pendingJobs === 0 && record.cancelledAt === null) await dispatchCallbacks(app, batchId, record.options, record.options.then)
  if (allRan) await dispatchCallbacks(app, batchId, record.options, record.options.finally)
}

/** A batched job failed for good: count it; the first failure cancels the batch (unless it allows failures) and dispatches catch. */
export async function recordFailedJob(app: Application, batchId: string, jobId: string, failure: BusFailure): Promise<void> {
  const repository = app.make('bus.batches')
  const counts = await repository.incrementFailedJobs(batchId, jobId)
  if (!counts) return
  const first = counts.failedJobs === 1
  const allRan = counts.pendingJobs - counts.failedJobs === 0
  if (!first && !allRan) return
  const record = await repository.find(batchId)
  if (!record) return
  if (first && !record.options.allowFailures) await repository.cancel(batchId)
  if (first) await dispatchCallbacks(app, batchId, record.options, record.options.catch, failure)
  if (allRan) await dispatchCallbacks(app, batchId, record.options, record.options.finally)
}

/** An empty batch is finished at once: its then and finally jobs run, as for a batch whose jobs all succeeded. */
export async function finishEmptyBatch(app: Application, batchId: string, options: BatchOptions): Promise<void> {
  await app.make('bus.batches').markAsFinished(batchId)
  await dispatchCallbacks(app, batchId, options, options.then)
  await dispatchCallbacks(app, batchId, options, options.finally)
}

/** Pushes then/catch/finally jobs; they learn their batch (this.batch()) and, for catch, the failure. */
async function dispatchCallbacks(app: Application, batchId: string, options: Readonly<BatchOptions>, links: readonly EncodedLink[], failure?: BusFailure): Promise<void> {
  const manager = app.make('queue')
  for (const link of links) {
    const connection = link.connection ?? options.connection ?? manager.defaultConnection
    const queue = link.queue ?? options.queue ?? manager.defaultQueue(connection)
    const payload = withBusFields(app, link.payload, { batchCallbackOf: batchId, failure: failure ?? null })
    await push(app, { connection, queue, payload, delay: link.delay ?? 0, job: null })
  }
}

/** Pushes prepared payloads grouped by connection, queue and delay, one bulk insert per group. */
async function pushAll(app: Application, prepared: readonly PreparedPush[]): Promise<void> {
  const groups = new Map<string, PreparedPush[]>()
  for (const item of prepared) {
    const key = JSON.stringify([item.connection, item.queue, item.delay])
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  const events = app.make('events')
  for (const group of groups.values()) {
    const { connection, queue, delay } = group[0] as PreparedPush
    if (group.length === 1) {
      await push(app, group[0] as PreparedPush)
      continue
    }
    const driver = await app.make('queue').connection(connection)
    const ids = await driver.bulkRaw(
      group.map((item) => item.payload),
      queue,
      delay > 0 ? { delay } : {},
    )
    if (!events.hasListeners(JobQueued)) continue
    for (const [i, id] of ids.entries()) {
      const item = group[i] as PreparedPush
      await events.dispatch(new JobQueued(connection, queue, id, decodePayload(item.payload), item.job, delay))
    }
  }
}

/**
 * What happens to a batch's counters and callbacks: jobs are counted before they are pushed (so an early
 * finisher cannot bring pending_jobs to 0 while siblings are still being added), and every decision to
 * dispatch then/catch/finally is taken from the counts the atomic update itself returned. Exactly one
 * update brings pending_jobs to 0 (then), one brings failed_jobs to 1 (catch), one brings
 * pending_jobs - failed_jobs to 0 (finally). Each job is counted once (see BatchRepository.recordSuccess),
 * and the callbacks it decided are handed back to be pushed atomically with its acknowledgement.
 */
import type { Application } from '../foundation/application.ts'
import { JobQueued } from '../queue/events.ts'
import { Job } from '../queue/job.ts'
import { decodePayload } from '../queue/payload-codec.ts'
import type { BatchItem } from './batch.ts'
import type { BatchClaim, BatchOptions } from './batch-repository.ts'
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

/**
 * A batched job succeeded: counts it (once, however often it runs) and yields the then/finally jobs its
 * count decided, for the caller to push together with the job's acknowledgement.
 */
export async function recordSuccessfulJob(app: Application, batchId: string, jobId: string): Promise<PreparedPush[]> {
  const repository = app.make('bus.batches')
  const claims = await repository.recordSuccess(batchId, jobId)
  return claims && claims.length > 0 ? claimedCallbacks(app, batchId, claims) : []
}

/**
 * A batched job failed for good: counts it once; the first failure cancels the batch (unless it allows
 * failures) and decides catch. Yields the catch/finally jobs to push with the acknowledgement.
 */
export async function recordFailedJob(app: Application, batchId: string, jobId: string, failure: BusFailure): Promise<PreparedPush[]> {
  const repository = app.make('bus.batches')
  const claims = await repository.recordFailure(batchId, jobId)
  return claims && claims.length > 0 ? claimedCallbacks(app, batchId, claims, failure) : []
}

/** An empty batch is finished at once: its then and finally jobs run, as for a batch whose jobs all succeeded. */
export async function finishEmptyBatch(app: Application, batchId: string, options: BatchOptions): Promise<void> {
  await app.make('bus.batches').markAsFinished(batchId)
  for (const prepared of [...callbacks(app, batchId, options, options.then), ...callbacks(app, batchId, options, options.finally)]) await push(app, prepared)
}

/** The jobs of the callbacks a count claimed; a claimed catch cancels the batch first (unless it allows failures; cancelling twice changes nothing). */
async function claimedCallbacks(app: Application, batchId: string, claims: readonly BatchClaim[], failure?: BusFailure): Promise<PreparedPush[]> {
  const repository = app.make('bus.batches')
  const record = await repository.find(batchId)
  if (!record) return []
  if (claims.includes('catch') && !record.options.allowFailures) await repository.cancel(batchId)
  return claims.flatMap((claim) => callbacks(app, batchId, record.options, record.options[claim], claim === 'catch' ? failure : undefined))
}

/** then/catch/finally jobs ready to push; they learn their batch (this.batch()) and, for catch, the failure. */
function callbacks(app: Application, batchId: string, options: Readonly<BatchOptions>, links: readonly EncodedLink[], failure?: BusFailure): PreparedPush[] {
  const manager = app.make('queue')
  return links.map((link) => {
    const connection = link.connection ?? options.connection ?? manager.defaultConnection
    const queue = link.queue ?? options.queue ?? manager.defaultQueue(connection)
    const payload = withBusFields(app, link.payload, { batchCallbackOf: batchId, failure: failure ?? null })
    return { connection, queue, payload, delay: link.delay ?? 0, job: null }
  })
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

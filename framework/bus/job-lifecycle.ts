/**
 * The three points where the worker pipeline (queue/worker/process-job.ts) hands a job to the bus:
 *
 * - `shouldSkip` before handle(): binds the job's chain/batch state (this.batch(), this.failure(),
 *   prependToChain/appendToChain) and says whether to skip it because its batch was cancelled (Laravel's
 *   SkipIfBatchCancelled, applied to every batched job). A skipped job counts as a success.
 * - `succeededFollowUps` before a job that succeeded is acknowledged: counts it in its batch and yields
 *   the jobs to push with its acknowledgement (its chain's next link, the batch callbacks it decided).
 * - `failedFollowUps` before a job that failed for good is deleted: counts the failure and yields the
 *   chain's catch job and the batch callbacks it decided.
 * Both are idempotent (a job is counted once, however often it runs): a worker killed before the ack
 * leaves the job to run again, and the second run yields the same follow-ups (see follow-ups.ts).
 *
 * Plain jobs (no chain or batch fields in their payload) cost nothing here: no query is made, and the
 * answer is null (the worker keeps its own fast acknowledgement).
 */
import type { Application } from '../foundation/application.ts'
import type { JobPayload } from '../queue/contracts.ts'
import type { Job } from '../queue/job.ts'
import { findBatch } from './batch.ts'
import { recordFailedJob, recordSuccessfulJob } from './batch-jobs.ts'
import { bindBusState, catchLink, failureOf, nextLink, type PreparedPush } from './chain.ts'
import { peekBusState } from './job-bus-state.ts'
import { busFields, hasBusFields } from './payload-fields.ts'

/**
 * Whether succeededFollowUps() may yield anything: a chained or batched job, or one that prepended or
 * appended to a chain while it ran. False for a plain job, which then saves an async call on its ack.
 */
export function hasFollowUpWork(payload: JobPayload, job: Job | null): boolean {
  return hasBusFields(payload) || (job !== null && peekBusState(job) !== undefined)
}

/** Before handle(): true when the job belongs to a cancelled batch and must not run. */
export async function shouldSkip(app: Application, payload: JobPayload, job: Job): Promise<boolean> {
  // A plain job has no bus state to bind: this.batch() and this.failure() read null without it.
  if (!hasBusFields(payload)) return false
  bindBusState(job, payload, (id) => findBatch(app, id))
  const { batchId } = busFields(payload)
  if (!batchId) return false
  const batch = await app.make('bus.batches').find(batchId)
  return batch !== null && batch.cancelledAt !== null
}

/** A job succeeded (or deleted itself, or was skipped): what to push with its acknowledgement; null for a plain job. */
export async function succeededFollowUps(app: Application, payload: JobPayload, job: Job | null): Promise<PreparedPush[] | null> {
  // The common case, on every job: no chain, no batch, nothing prepended or appended during handle().
  if (!hasBusFields(payload) && !(job && peekBusState(job))) return null
  const { batchId } = busFields(payload)
  const next = await nextLink(app, payload, job)
  if (!next && !batchId) return null
  const followUps = next ? [next] : []
  if (batchId) followUps.push(...(await recordSuccessfulJob(app, batchId, payload.uuid)))
  return followUps
}

/** A job failed for good: what to push with its deletion; null for a plain job. */
export async function failedFollowUps(app: Application, payload: JobPayload, error: Error): Promise<PreparedPush[] | null> {
  if (!hasBusFields(payload)) return null
  const { batchId } = busFields(payload)
  const handler = catchLink(app, payload, error)
  if (!handler && !batchId) return null
  const followUps = handler ? [handler] : []
  if (batchId) followUps.push(...(await recordFailedJob(app, batchId, payload.uuid, failureOf(payload, error, batchId))))
  return followUps
}

/**
 * The three points where the worker pipeline (queue/worker/process-job.ts) hands a job to the bus:
 *
 * - `shouldSkip` before handle(): binds the job's chain/batch state (this.batch(), this.failure(),
 *   prependToChain/appendToChain) and says whether to skip it because its batch was cancelled (Laravel's
 *   SkipIfBatchCancelled, applied to every batched job). A skipped job counts as a success.
 * - `onJobSucceeded` once the job is acknowledged: pushes the next job of its chain, counts it in its batch.
 * - `onJobFailed` once the job has failed for good: pushes the chain's catch job, counts the failure.
 *
 * Plain jobs (no chain or batch fields in their payload) cost nothing here: no query is made.
 */
import type { Application } from '../foundation/application.ts'
import type { JobPayload } from '../queue/contracts.ts'
import type { Job } from '../queue/job.ts'
import { findBatch } from './batch.ts'
import { recordFailedJob, recordSuccessfulJob } from './batch-jobs.ts'
import { bindBusState, catchChain, continueChain, failureOf } from './chain.ts'
import { busFields } from './payload-fields.ts'

/** Before handle(): true when the job belongs to a cancelled batch and must not run. */
export async function shouldSkip(app: Application, payload: JobPayload, job: Job): Promise<boolean> {
  bindBusState(job, payload, (id) => findBatch(app, id))
  const { batchId } = busFields(payload)
  if (!batchId) return false
  const batch = await app.make('bus.batches').find(batchId)
  return batch !== null && batch.cancelledAt !== null
}

/** After the job was acknowledged (it succeeded, deleted itself, or was skipped). */
export async function onJobSucceeded(app: Application, payload: JobPayload, job: Job | null): Promise<void> {
  await continueChain(app, payload, job)
  const { batchId } = busFields(payload)
  if (batchId) await recordSuccessfulJob(app, batchId, payload.uuid)
}

/** After the job failed for good (its failed() hook has run). */
export async function onJobFailed(app: Application, payload: JobPayload, error: Error): Promise<void> {
  const { batchId } = busFields(payload)
  await catchChain(app, payload, error)
  if (batchId) await recordFailedJob(app, batchId, payload.uuid, failureOf(payload, error, batchId))
}

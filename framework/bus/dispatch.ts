/**
 * Laravel's `dispatch($job)` and `dispatch_sync($job)` helpers, for a job instance built elsewhere:
 *
 *   const job = new SendWelcomeEmail(user.id)
 *   await dispatch(job).onQueue('emails')
 */
import type { Job } from '../queue/job.ts'
import { PendingDispatch } from '../queue/pending-dispatch.ts'

/** Queues `job` (a QueuedJob) or runs it now (a plain Job); awaiting yields the job id. */
export function dispatch(job: Job): PendingDispatch {
  return new PendingDispatch(job)
}

/** Runs `job` now, in this process, even if it is a QueuedJob. */
export function dispatchSync(job: Job): PendingDispatch {
  return new PendingDispatch(job, { sync: true })
}

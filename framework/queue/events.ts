/**
 * The queue's events. The worker and the dispatcher fire them through the `events` service; listeners
 * (and `queue:work`'s output) subscribe by class: `events.listen(JobFailed, (e) => ...)`.
 */
import type { Job } from './job.ts'
import type { JobPayload, ReservedJob } from './contracts.ts'

/** A job was stored by a driver (fired by dispatch, `Queue.push`, after commit for deferred jobs). */
export class JobQueued {
  constructor(
    readonly connectionName: string,
    readonly queue: string,
    /** The driver's id for the stored job. */
    readonly id: string,
    readonly payload: JobPayload,
    /** The dispatched instance (null when a raw payload was pushed). */
    readonly job: Job | null,
    /** Seconds before it becomes available. */
    readonly delay: number,
  ) {}
}

/** A reserved job is about to run. `payload` is null when it could not be decoded. */
export class JobProcessing {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
  ) {}
}

/** A job ran and was acknowledged (or deleted itself). */
export class JobProcessed {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
  ) {}
}

/** An attempt threw (it may still be retried). */
export class JobExceptionOccurred {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
    readonly error: Error,
  ) {}
}

/** A failed attempt was put back for a retry after `delay` seconds. */
export class JobReleasedAfterException {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
    readonly delay: number,
  ) {}
}

/** A job failed for good: it is in the failed-job store and its failed() hook ran. */
export class JobFailed {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
    readonly error: Error,
  ) {}
}

/** An attempt ran past its timeout. */
export class JobTimedOut {
  constructor(
    readonly connectionName: string,
    readonly job: ReservedJob,
    readonly payload: JobPayload | null,
    readonly error: Error,
  ) {}
}

/** The worker is about to look for the next job. */
export class Looping {
  constructor(
    readonly connectionName: string,
    /** The queues it will look at, in priority order, comma-joined as on the command line. */
    readonly queue: string,
  ) {}
}

/** The worker is stopping with this exit status. */
export class WorkerStopping {
  constructor(
    readonly status: number,
    readonly reason: string | null = null,
  ) {}
}

import { serverUnavailableReason } from '../../database/server-unavailable.ts'
import { KilnError } from '../../support/errors.ts'

/** An attempt ran longer than its timeout. Recorded as the attempt's failure (Laravel's TimeoutExceededException). */
export class TimeoutExceededError extends KilnError {
  constructor(jobName: string, seconds: number) {
    super('E_JOB_TIMEOUT', `${jobName} has timed out after ${seconds} second${seconds === 1 ? '' : 's'}. Make handle() finish sooner, honour this.job.signal, or raise the job's timeout.`)
  }
}

/** A job was claimed more times than it may be tried (a crashed or killed worker's attempt counts too). */
export class MaxAttemptsExceededError extends KilnError {
  constructor(jobName: string, retryUntil = false) {
    super(
      'E_MAX_ATTEMPTS_EXCEEDED',
      retryUntil
        ? `${jobName} has been attempted too many times or run too long (its retryUntil() time has passed). The job may have previously timed out.`
        : `${jobName} has been attempted too many times. The job may have previously timed out or its worker died; raise its tries or make it faster.`,
    )
  }
}

/** `this.fail()` without an error. */
export class ManuallyFailedError extends KilnError {
  constructor(jobName: string) {
    super('E_JOB_MANUALLY_FAILED', `${jobName} was marked as failed by this.fail().`)
  }
}

/** `queue:work` with a timeout that would let a reservation expire while the job still runs. */
export class TimeoutExceedsRetryAfterError extends KilnError {
  constructor(connection: string, timeout: number, retryAfter: number) {
    super(
      'E_TIMEOUT_EXCEEDS_RETRY_AFTER',
      `The worker timeout (${timeout}s) must be shorter than retry_after (${retryAfter}s) of the "${connection}" connection, or a job still running would be handed to a second worker. Lower --timeout or raise retry_after in config/queue.ts.`,
    )
  }
}

/** `queue:restart` could not write its signal to the cache store. */
export class RestartSignalUnavailableError extends KilnError {
  /** `reading`: a worker's periodic read failed (it keeps running); otherwise `queue:restart` could not write it. */
  constructor(store: string, cause: unknown, reading = false) {
    const detail = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '')
    const reason = serverUnavailableReason(cause)
    super(
      'E_RESTART_SIGNAL_UNAVAILABLE',
      reading
        ? `Cannot read the queue restart signal from the "${store}" cache store: ${reason ? `${reason} (${detail})` : detail}. The worker keeps running and reads it again every few seconds; until then queue:restart does not reach it.`
        : `Cannot store the queue restart signal in the "${store}" cache store: ${detail}. Check CACHE_STORE in config/cache.ts and that its table exists (craft migrate).`,
      { cause },
    )
  }
}

/** Lease renewal found a running job's reservation gone: it expired and another worker may run the job. */
export class LeaseLostError extends KilnError {
  constructor(connection: string, queue: string, id: string) {
    super(
      'E_LEASE_LOST',
      `Job ${id} on queue "${queue}" of the "${connection}" connection lost its reservation while running (it expired before it could be renewed, e.g. the worker was paused or blocked), so another worker may run it too. Its signal was aborted; keep handlers from blocking the event loop, or raise retry_after.`,
    )
  }
}

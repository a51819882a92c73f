import type { ReservedJob } from '../contracts.ts'
import { LeaseLostError } from './errors.ts'
import type { Abortable } from './attempt-context.ts'

/**
 * Keeps the reservations of running jobs alive (lease renewal): every `max(1, retry_after / 3)` seconds
 * a job still running has its reservation extended with `touch()`, so a job that runs longer than
 * retry_after is never handed to a second worker while this worker is alive. A dead worker stops
 * renewing, and its jobs come back after retry_after as before.
 *
 * One timer serves every job in flight (no timer per job: a no-op job pays two Map operations). It ticks
 * four times per renewal period, so a renewal is sent at most a quarter period late, well before expiry.
 * When a touch finds the reservation gone (it expired anyway, e.g. the process was frozen, and another
 * worker took the job), the job's signal is aborted with E_LEASE_LOST: its result would not count.
 */
export class LeaseKeeper {
  private readonly leases = new Map<ReservedJob, Lease>()
  private timer: NodeJS.Timeout | undefined
  private readonly everyMs: number

  constructor(
    retryAfterSeconds: number,
    private readonly report: LeaseReport,
  ) {
    this.everyMs = Math.max(1, retryAfterSeconds / 3) * 1000
  }

  /** Renews `job`'s reservation until release(job); a job whose driver cannot touch is left alone. */
  hold(job: ReservedJob): void {
    if (!job.touch) return
    this.leases.set(job, { renewAt: Date.now() + this.everyMs, abort: null, renewing: false })
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, this.everyMs / 4))
      // Never keeps a finished worker alive.
      this.timer.unref()
    }
  }

  /** Lets the lease abort the job's signal should the reservation be lost. */
  attach(job: ReservedJob, controller: Abortable): void {
    const lease = this.leases.get(job)
    if (lease) lease.abort = controller
  }

  /** The job settled (acknowledged, released or failed): stop renewing. */
  release(job: ReservedJob): void {
    this.leases.delete(job)
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.leases.clear()
  }

  private tick(): void {
    const now = Date.now()
    for (const [job, lease] of this.leases) {
      if (lease.renewing || now < lease.renewAt) continue
      lease.renewing = true
      // Due again a period after this touch was *sent*: the server extends from its own "now".
      lease.renewAt = now + this.everyMs
      void this.renew(job, lease)
    }
  }

  private async renew(job: ReservedJob, lease: Lease): Promise<void> {
    try {
      await job.touch?.()
      // A touch racing the job's own acknowledgement finds the token gone: that is not a lost lease.
      if (!job.leaseLost || this.leases.get(job) !== lease) return
      this.leases.delete(job)
      const error = new LeaseLostError(job.connectionName, job.queue, job.id)
      lease.abort?.abort(error)
      await this.report.onWarning?.(error.message)
    } catch (error) {
      // E_QUEUE_UNAVAILABLE during an outage: report and try again on the next tick.
      lease.renewAt = Date.now()
      await this.report.onError?.(error)
    } finally {
      lease.renewing = false
    }
  }
}

export interface LeaseReport {
  onError?: (error: unknown) => void | Promise<void>
  onWarning?: (message: string) => void | Promise<void>
}

interface Lease {
  /** When (ms since the epoch) the next touch is due. */
  renewAt: number
  /** The job's attempt controller (its this.job.signal), once the handler started. */
  abort: Abortable | null
  /** A touch is in flight: never two at once for one job. */
  renewing: boolean
}

const MIN_TICK_MS = 250

import type { ReservedJob } from '../contracts.ts'

/**
 * Acknowledgements that do not hold a slot (prefetch mode): the job's slot frees as soon as its handler
 * succeeded, and its delete waits up to ACK_WINDOW_MS for the others finishing around it; they are then
 * issued together, which the database driver writes as one statement (graphile-worker's
 * completeJobBatchDelay does the same). Fewer, larger statements matter most on a small server that
 * the worker shares: each costs a round trip, a plan and a commit. The worker waits for every one of
 * them before it stops. A delete that never lands (the worker is killed, the server is unreachable)
 * leaves the job reserved: it runs again after retry_after, which is at-least-once.
 */
const ACK_WINDOW_MS = 4

export class DeferredAcks {
  private pending = 0
  private waiting: ReservedJob[] = []
  private timer: NodeJS.Timeout | null = null
  /** What flush() waits on while deletes are pending, and its resolver. */
  private idle: Promise<void> | null = null
  private resolveIdle: (() => void) | null = null
  /** Bound once: no closures per job. */
  private readonly settled = (): void => {
    if (--this.pending > 0 || !this.resolveIdle) return
    const resolve = this.resolveIdle
    this.idle = this.resolveIdle = null
    resolve()
  }
  private readonly failed = (error: unknown): void => {
    // The slot is long free: the error is reported, and the job runs again after retry_after.
    void this.onError(error).then(this.settled, this.settled)
  }

  constructor(private readonly onError: (error: unknown) => Promise<void>) {}

  /** Queues the delete and returns at once: the job's slot does not wait for it. */
  acknowledge(job: ReservedJob): void {
    this.pending++
    this.waiting.push(job)
    this.timer ??= setTimeout(this.send, ACK_WINDOW_MS)
  }

  /** Resolves once every acknowledgement issued so far has been written (or reported). */
  flush(): Promise<void> {
    if (this.timer) this.send()
    if (this.pending === 0) return Promise.resolve()
    return (this.idle ??= new Promise<void>((resolve) => (this.resolveIdle = resolve)))
  }

  /** Issues the waiting deletes in one go (one tick: the driver coalesces them). */
  private readonly send = (): void => {
    clearTimeout(this.timer ?? undefined)
    this.timer = null
    const jobs = this.waiting
    this.waiting = []
    for (const job of jobs) job.delete().then(this.settled, this.failed)
  }
}

import type { QueueDriver, ReservedJob } from '../contracts.ts'

/**
 * Acknowledgements that do not hold a slot (prefetch mode): the job's slot frees as soon as its handler
 * succeeded, and its delete waits to be written with others: the buffer's next refill carries it (one
 * statement that deletes and claims, on the database driver), or, when no refill comes within
 * ACK_WINDOW_MS, it is written with the others waiting (graphile-worker's completeJobBatchDelay does
 * the same). Fewer, larger statements matter most on a small server that the worker shares: each costs
 * a round trip and a commit. The worker waits for every one of them before it stops. A delete that
 * never lands (the worker is killed, the server is unreachable) leaves the job reserved: it runs again
 * after retry_after, which is at-least-once; a kill at most re-runs the jobs of the last window.
 */
const ACK_WINDOW_MS = 20

export class DeferredAcks {
  private waiting: ReservedJob[] = []
  private timer: NodeJS.Timeout | null = null
  /** Batches being written. */
  private writing = 0
  /** What flush() waits on while batches are being written, and its resolver. */
  private idle: Promise<void> | null = null
  private resolveIdle: (() => void) | null = null
  /** Bound once: no closures per batch. */
  private readonly written = (): void => {
    if (--this.writing > 0 || !this.resolveIdle) return
    const resolve = this.resolveIdle
    this.idle = this.resolveIdle = null
    resolve()
  }
  private readonly failed = (error: unknown): void => {
    // The slots are long free: the error is reported, and the jobs run again after retry_after.
    void this.onError(error).then(this.written, this.written)
  }

  constructor(
    private readonly driver: Pick<QueueDriver, 'deleteMany' | 'deleteManyAndPop'>,
    private readonly onError: (error: unknown) => Promise<void>,
  ) {}

  /** Queues the delete and returns at once: the job's slot does not wait for it. */
  acknowledge(job: ReservedJob): void {
    this.waiting.push(job)
    this.timer ??= setTimeout(this.send, ACK_WINDOW_MS)
  }

  /** Resolves once every acknowledgement issued so far has been written (or reported). */
  flush(): Promise<void> {
    if (this.timer) this.send()
    if (this.writing === 0) return Promise.resolve()
    return (this.idle ??= new Promise<void>((resolve) => (this.resolveIdle = resolve)))
  }

  /**
   * Hands the acknowledgements waiting for `queue` (at most `max`) to a refill that writes them with its
   * claim; the caller reports the outcome with carried(). None when the driver cannot combine the two.
   */
  takeFor(queue: string, max: number): ReservedJob[] {
    if (this.waiting.length === 0 || !this.driver.deleteManyAndPop) return NONE
    const taken: ReservedJob[] = []
    const left: ReservedJob[] = []
    for (const job of this.waiting) (job.queue === queue && taken.length < max ? taken : left).push(job)
    if (taken.length === 0) return NONE
    this.waiting = left
    if (left.length === 0 && this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    this.writing++
    return taken
  }

  /** The refill that took acknowledgements with takeFor() has been answered (its errors are its own to report). */
  carried(): void {
    this.written()
  }

  /** Writes the waiting deletes as one batch. */
  private readonly send = (): void => {
    clearTimeout(this.timer ?? undefined)
    this.timer = null
    const jobs = this.waiting
    this.waiting = []
    this.writing++
    const write = this.driver.deleteMany ? this.driver.deleteMany(jobs) : Promise.all(jobs.map((job) => job.delete()))
    write.then(this.written, this.failed)
  }
}

const NONE: ReservedJob[] = []

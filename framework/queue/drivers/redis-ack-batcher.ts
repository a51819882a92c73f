import type { ReservedJob } from '../contracts.ts'

/** Acknowledges `jobs` (all of `queue`) and reserves up to `max` jobs of `queue`, in one round trip. */
export type DeleteManyAndPop = (jobs: readonly ReservedJob[], queue: string, max: number) => Promise<ReservedJob[]>

/**
 * Coalesces finish-and-fetch-next calls (deleteAndPop) issued in the same tick into one script call per
 * queue: a worker at concurrency 50 whose jobs finish together sends one ack+claim instead of 50.
 *
 * The batch flushes on process.nextTick, which runs after the current microtask queue has drained: every
 * ack that a burst of replies (one socket read) triggers joins the batch, and a lone ack (concurrency 1)
 * waits for no timer or event-loop turn. Each caller still gets its own promise: the jobs reserved are
 * dealt out in call order, up to each caller's `max`; a failed call rejects every caller of the batch,
 * as their separate calls would have failed. Every ack stays token-checked inside the script.
 */
export class AckBatcher {
  private readonly pending = new Map<string, Waiter[]>()
  private scheduled = false

  constructor(private readonly send: DeleteManyAndPop) {}

  add(job: ReservedJob, queue: string, max: number): Promise<ReservedJob[]> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(queue)
      if (!batch) this.pending.set(queue, (batch = []))
      batch.push({ job, max, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        process.nextTick(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.scheduled = false
    for (const [queue, batch] of this.pending) {
      this.pending.delete(queue)
      void this.sendBatch(queue, batch)
    }
  }

  private async sendBatch(queue: string, batch: Waiter[]): Promise<void> {
    let reserved: ReservedJob[]
    try {
      reserved = await this.send(
        batch.map((waiter) => waiter.job),
        queue,
        batch.reduce((sum, waiter) => sum + waiter.max, 0),
      )
    } catch (error) {
      for (const waiter of batch) waiter.reject(error)
      return
    }
    let next = 0
    for (const waiter of batch) {
      const share = reserved.slice(next, next + waiter.max)
      next += share.length
      waiter.resolve(share)
    }
  }
}

interface Waiter {
  job: ReservedJob
  max: number
  resolve: (jobs: ReservedJob[]) => void
  reject: (error: unknown) => void
}

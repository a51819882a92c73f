/**
 * Counts handler calls inside a worker process: when the first and the last of `target` jobs started,
 * their latencies from dispatch (when the payload carries its send time), and the process's memory at
 * chosen job counts.
 */
import type { TaskResult } from './protocol.ts'
import { megabytes, sharedClock } from './stats.ts'

export class Meter {
  readonly done: Promise<void>
  private count = 0
  private first = 0
  private last = 0
  private readonly latencies: number[] = []
  private readonly rssAt: Record<number, number> = {}
  private resolve: () => void = () => undefined

  constructor(
    private readonly target: number,
    private readonly checkpoints: readonly number[] = [],
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve))
  }

  /** Call first thing in the no-op handler; `sentAt` is the producer's shared-clock time of dispatch. */
  hit(sentAt?: number): void {
    const now = sharedClock()
    if (this.count === 0) this.first = now
    this.last = now
    this.count++
    if (typeof sentAt === 'number') this.latencies.push(now - sentAt)
    if (this.checkpoints.includes(this.count)) this.rssAt[this.count] = megabytes(process.memoryUsage.rss())
    if (this.count === this.target) this.resolve()
  }

  get handled(): number {
    return this.count
  }

  /** Throughput between the first and the last handler start (worker start-up excluded). */
  result(note?: string): TaskResult {
    const ms = this.last - this.first
    const result: TaskResult = {
      count: this.count,
      ms,
      rate: this.count > 1 && ms > 0 ? ((this.count - 1) * 1000) / ms : Number.NaN,
      rssMb: megabytes(process.memoryUsage.rss()),
    }
    if (this.latencies.length > 0) result.latencies = this.latencies
    if (Object.keys(this.rssAt).length > 0) result.rssAt = this.rssAt
    if (note) result.note = note
    return result
  }
}

/** Payload field names shared by producers and workers of every system. */
export interface BenchJobData {
  /** Producer's shared-clock time just before dispatch (latency runs). */
  sentAt?: number
}

/**
 * The job every Kiln measurement dispatches and runs: a QueuedJob whose handle() only reports to the
 * worker process's meter. `sentAt` is its one data property (the producer's shared-clock send time, for
 * latency runs; null otherwise).
 */
import { QueuedJob } from '../../framework/queue/job.ts'
import type { Meter } from '../meter.ts'

let meter: Meter | null = null

/** The meter handle() reports to in this process (the worker child sets it). */
export function reportTo(target: Meter): void {
  meter = target
}

export class BenchNoop extends QueuedJob {
  static override jobName = 'BenchNoop'
  sentAt: number | null

  constructor(sentAt: number | null = null) {
    super()
    this.sentAt = sentAt
  }

  handle(): void {
    meter?.hit(this.sentAt ?? undefined)
  }
}

/**
 * A batch as read from job_batches (Laravel's Illuminate\Bus\Batch): counters, progress, and the
 * actions a job or a controller takes on it. The counts are a snapshot: `fresh()` reads them again.
 *
 *   const batch = await Bus.findBatch(id)
 *   batch?.progress()  // 0-100
 */
import type { Application } from '../foundation/application.ts'
import type { Job } from '../queue/job.ts'
import { addToBatch } from './batch-jobs.ts'
import type { BatchOptions, BatchRecord } from './batch-repository.ts'
import { BatchNotFoundError } from './errors.ts'

/** A job, or a chain of jobs (each job of the chain counts in the batch). */
export type BatchItem = Job | readonly Job[]

export class Batch {
  readonly id: string
  readonly name: string
  readonly totalJobs: number
  readonly pendingJobs: number
  readonly failedJobs: number
  readonly failedJobIds: readonly string[]
  readonly options: Readonly<BatchOptions>
  readonly createdAt: Date
  readonly cancelledAt: Date | null
  readonly finishedAt: Date | null
  readonly #app: Application

  constructor(app: Application, record: BatchRecord) {
    this.#app = app
    this.id = record.id
    this.name = record.name
    this.totalJobs = record.totalJobs
    this.pendingJobs = record.pendingJobs
    this.failedJobs = record.failedJobs
    this.failedJobIds = record.failedJobIds
    this.options = record.options
    this.createdAt = record.createdAt
    this.cancelledAt = record.cancelledAt
    this.finishedAt = record.finishedAt
  }

  /** Jobs that have run successfully (failed ones stay pending, as in Laravel, until a retry succeeds). */
  processedJobs(): number {
    return this.totalJobs - this.pendingJobs
  }

  /** Percentage of processed jobs, 0-100, rounded. */
  progress(): number {
    return this.totalJobs > 0 ? Math.round((this.processedJobs() / this.totalJobs) * 100) : 0
  }

  /** Every job succeeded, or the batch was cancelled. */
  finished(): boolean {
    return this.finishedAt !== null
  }

  cancelled(): boolean {
    return this.cancelledAt !== null
  }

  hasFailures(): boolean {
    return this.failedJobs > 0
  }

  allowsFailures(): boolean {
    return this.options.allowFailures
  }

  /** The batch as stored now; null once it has been deleted or pruned. */
  async fresh(): Promise<Batch | null> {
    const record = await this.#app.make('bus.batches').find(this.id)
    return record ? new Batch(this.#app, record) : null
  }

  /** Cancels the batch: its jobs that have not started skip themselves. */
  async cancel(): Promise<void> {
    await this.#app.make('bus.batches').cancel(this.id)
  }

  /** Adds jobs (or chains) to the batch, on its connection and queue; yields the updated batch. */
  async add(items: readonly BatchItem[]): Promise<Batch> {
    await addToBatch(this.#app, { id: this.id, options: this.options }, items)
    const fresh = await this.fresh()
    if (!fresh) throw new BatchNotFoundError(this.id)
    return fresh
  }

  async delete(): Promise<void> {
    await this.#app.make('bus.batches').delete(this.id)
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      totalJobs: this.totalJobs,
      pendingJobs: this.pendingJobs,
      processedJobs: this.processedJobs(),
      progress: this.progress(),
      failedJobs: this.failedJobs,
      createdAt: this.createdAt.toISOString(),
      cancelledAt: this.cancelledAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
    }
  }
}

/** The batch `id`, or null when job_batches does not hold it. */
export async function findBatch(app: Application, id: string): Promise<Batch | null> {
  const record = await app.make('bus.batches').find(id)
  return record ? new Batch(app, record) : null
}

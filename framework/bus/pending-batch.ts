/**
 * What `Bus.batch([...])` returns: collects callbacks and options, then `dispatch()` stores the batch
 * in job_batches, counts its jobs and pushes them. Callbacks are jobs, not closures (closures cannot
 * cross processes); inside them `await this.batch()` is the batch, and a catch job's `this.failure()`
 * says which job failed first and why.
 *
 *   const batch = await Bus.batch([new SendNewsletter(1), new SendNewsletter(2)])
 *     .then(new NewsletterSent()).catch(new NewsletterFailed()).finally(new NewsletterDone())
 *     .name('newsletter').onQueue('emails').dispatch()
 */
import { Application } from '../foundation/application.ts'
import type { Job } from '../queue/job.ts'
import { Batch, type BatchItem } from './batch.ts'
import { addToBatch, finishEmptyBatch } from './batch-jobs.ts'
import type { BatchOptions } from './batch-repository.ts'
import { busRecorder } from './bus-recorder.ts'
import { encodeLink } from './chain.ts'
import { InvalidBatchError } from './errors.ts'

export interface PendingBatchOptions {
  allowFailures: boolean
  connection: string | null
  queue: string | null
  then: Job[]
  catch: Job[]
  finally: Job[]
}

export class PendingBatch {
  batchName = ''
  readonly options: PendingBatchOptions = { allowFailures: false, connection: null, queue: null, then: [], catch: [], finally: [] }
  private dispatched: Promise<Batch> | undefined

  constructor(readonly jobs: BatchItem[]) {
    if (!Array.isArray(jobs)) throw new InvalidBatchError('expected an array of jobs and chains')
  }

  /**
   * The job pushed once every job of the batch has succeeded. (Named as Laravel's; being called by
   * `await` with two functions, it dispatches the batch instead, so awaiting it by mistake does not hang.)
   */
  then(job: Job): this
  then(onfulfilled: (batch: Batch) => unknown, onrejected?: (reason: unknown) => unknown): never
  then(job: Job | ((batch: Batch) => unknown), onrejected?: (reason: unknown) => unknown): this {
    if (typeof job === 'function') {
      void this.dispatch().then(job, onrejected)
      return this
    }
    this.options.then.push(job)
    return this
  }

  /** The job pushed on the batch's first failure. */
  catch(job: Job): this {
    this.options.catch.push(job)
    return this
  }

  /** The job pushed once every job has run (succeeded or failed for good). */
  finally(job: Job): this {
    this.options.finally.push(job)
    return this
  }

  /** Keep running the other jobs after a failure (otherwise the first failure cancels the batch). */
  allowFailures(allow = true): this {
    this.options.allowFailures = allow
    return this
  }

  name(name: string): this {
    this.batchName = name
    return this
  }

  onConnection(name: string): this {
    this.options.connection = name
    return this
  }

  onQueue(name: string): this {
    this.options.queue = name
    return this
  }

  /** Adds jobs or chains before dispatch. */
  add(items: readonly BatchItem[]): this {
    this.jobs.push(...items)
    return this
  }

  /** Stores the batch, counts and pushes its jobs; yields the Batch (with its id). Dispatches once. */
  dispatch(): Promise<Batch> {
    this.dispatched ??= this.store()
    return this.dispatched
  }

  private async store(): Promise<Batch> {
    const app = Application.current()
    const recorder = busRecorder(app)
    if (recorder) return recorder.recordBatch(this)
    const via = this.options.connection ?? undefined
    const encode = (jobs: Job[]) => Promise.all(jobs.map((job) => encodeLink(app, job, null, via)))
    const options: BatchOptions = {
      allowFailures: this.options.allowFailures,
      connection: this.options.connection,
      queue: this.options.queue,
      then: await encode(this.options.then),
      catch: await encode(this.options.catch),
      finally: await encode(this.options.finally),
    }
    const repository = app.make('bus.batches')
    const record = await repository.store(this.batchName, options)
    let count: number
    try {
      count = await addToBatch(app, record, this.jobs)
    } catch (error) {
      await repository.delete(record.id).catch(() => undefined)
      throw error
    }
    if (count === 0) await finishEmptyBatch(app, record.id, options)
    return new Batch(app, (await repository.find(record.id)) ?? record)
  }
}

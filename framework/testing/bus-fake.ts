/**
 * `Bus.fake()`: swaps the `bus` service for a fake that records dispatched jobs, chains and batches
 * instead of queueing or running them, with Laravel's assertions.
 *
 *   const bus = Bus.fake()
 *   await Bus.chain([new ProcessOrder(1), new SendInvoice(1)]).dispatch()
 *   bus.assertChained([ProcessOrder, SendInvoice])
 *   bus.restore()
 */
import { AssertionError } from 'node:assert'
import { isDeepStrictEqual } from 'node:util'
import { randomUUID } from 'node:crypto'
import type { Application } from '../foundation/application.ts'
import { Batch } from '../bus/batch.ts'
import type { BusRecorder } from '../bus/bus-recorder.ts'
import { Dispatcher } from '../bus/dispatcher.ts'
import type { PendingBatch } from '../bus/pending-batch.ts'
import type { PendingChain } from '../bus/pending-chain.ts'
import { jobNameOf, type Job, type JobClass } from '../queue/job.ts'
import { jobData } from '../queue/payload-codec.ts'
import type { DispatchOptions } from '../queue/pending-dispatch.ts'

/** One recorded dispatch. */
export interface DispatchedJob {
  job: Job
  options: DispatchOptions
  /** Dispatched with dispatchSync (or a plain Job, which would have run at once). */
  sync: boolean
  /** The rest of the chain when this job was the first of one. */
  chain: readonly Job[]
}

export type DispatchedPredicate<T extends Job> = (job: T, dispatched: DispatchedJob) => boolean

/** Installs a BusFake as the app's `bus` service and returns it. */
export function fakeBus(app: Application): BusFake {
  const original = app.make('bus')
  const fake = new BusFake(app, () => app.instance('bus', original, (bus) => bus.close()))
  // Never restored: shutting the app down still closes whatever the real bus had opened.
  app.instance('bus', fake, () => original.close())
  return fake
}

export class BusFake extends Dispatcher implements BusRecorder {
  private readonly jobs: DispatchedJob[] = []
  private readonly chains: PendingChain[] = []
  private readonly batches: PendingBatch[] = []

  constructor(
    private readonly application: Application,
    private readonly restorer: () => void = () => undefined,
  ) {
    super(application)
  }

  /** Puts the real bus back. */
  restore(): void {
    this.restorer()
  }

  override async dispatch(job: Job, options: DispatchOptions = {}): Promise<string> {
    this.jobs.push({ job, options: { ...options }, sync: options.sync === true, chain: [] })
    return randomUUID()
  }

  override dispatchNow(job: Job, options: DispatchOptions = {}): Promise<string> {
    return this.dispatch(job, { ...options, sync: true })
  }

  async recordChain(chain: PendingChain): Promise<string> {
    this.chains.push(chain)
    const [first, ...rest] = chain.jobs
    if (first) this.jobs.push({ job: first, options: { connection: chain.options.connection, queue: chain.options.queue, delay: chain.options.delay }, sync: false, chain: rest })
    return randomUUID()
  }

  async recordBatch(batch: PendingBatch): Promise<Batch> {
    this.batches.push(batch)
    const total = batch.jobs.reduce<number>((sum, item) => sum + (Array.isArray(item) ? item.length : 1), 0)
    const options = { ...batch.options, then: [], catch: [], finally: [] }
    return new Batch(this.application, {
      id: randomUUID(),
      name: batch.batchName,
      totalJobs: total,
      pendingJobs: total,
      failedJobs: 0,
      failedJobIds: [],
      options,
      createdAt: new Date(),
      cancelledAt: null,
      finishedAt: null,
    })
  }

  /** Recorded dispatches of `cls` matching `predicate`. */
  dispatched<T extends Job>(cls: JobClass<T>, predicate?: DispatchedPredicate<T>): T[] {
    return this.matching(cls, predicate).map((record) => record.job as T)
  }

  /** Recorded batches (their jobs, callbacks, name and options). */
  recordedBatches(): readonly PendingBatch[] {
    return [...this.batches]
  }

  /** Dispatched at least once; exactly `n` times; or at least once matching `predicate`. */
  assertDispatched<T extends Job>(cls: JobClass<T>, expected?: number | DispatchedPredicate<T>): void {
    const name = jobNameOf(cls)
    if (typeof expected === 'number') {
      const count = this.matching(cls).length
      if (count !== expected) fail(`Expected [${name}] to be dispatched ${expected} time(s), but it was dispatched ${count} time(s).`)
      return
    }
    if (this.matching(cls, expected).length === 0) fail(`Expected [${name}] to be dispatched${expected ? ' matching the given predicate' : ''}, but it was not.${this.summary()}`)
  }

  assertDispatchedTimes<T extends Job>(cls: JobClass<T>, times: number): void {
    this.assertDispatched(cls, times)
  }

  /** Dispatched with dispatchSync at least once (matching `predicate` when given). */
  assertDispatchedSync<T extends Job>(cls: JobClass<T>, predicate?: DispatchedPredicate<T>): void {
    if (!this.matching(cls, predicate).some((record) => record.sync)) fail(`Expected [${jobNameOf(cls)}] to be dispatched synchronously, but it was not.${this.summary()}`)
  }

  assertNotDispatched<T extends Job>(cls: JobClass<T>, predicate?: DispatchedPredicate<T>): void {
    const count = this.matching(cls, predicate).length
    if (count > 0) fail(`Expected [${jobNameOf(cls)}] not to be dispatched${predicate ? ' matching the given predicate' : ''}, but it was dispatched ${count} time(s).`)
  }

  /** No job, chain or batch was dispatched. */
  assertNothingDispatched(): void {
    const count = this.jobs.length + this.batches.length
    if (count > 0) fail(`Expected nothing to be dispatched, but ${this.jobs.length} job(s) and ${this.batches.length} batch(es) were.${this.summary()}`)
  }

  /**
   * A chain of exactly these jobs, in this order, was dispatched. Give classes, or instances to also
   * compare their data.
   */
  assertChained(expected: readonly (JobClass | Job)[]): void {
    const found = this.chains.some((chain) => chain.jobs.length === expected.length && chain.jobs.every((job, i) => sameJob(job, expected[i] as JobClass | Job)))
    if (!found) {
      const seen = this.chains.map((chain) => `[${chain.jobs.map((job) => jobNameOf(job)).join(', ')}]`).join(', ') || 'none'
      fail(`Expected the chain [${expected.map((item) => jobNameOf(item)).join(', ')}] to be dispatched, but it was not. Chains dispatched: ${seen}.`)
    }
  }

  /** A batch matching `predicate` was dispatched (it receives the PendingBatch: jobs, batchName, options). */
  assertBatched(predicate: (batch: PendingBatch) => boolean): void {
    if (!this.batches.some((batch) => predicate(batch))) fail(`Expected a batch matching the given predicate to be dispatched, but none was (${this.batches.length} batch(es) dispatched).`)
  }

  assertBatchCount(count: number): void {
    if (this.batches.length !== count) fail(`Expected ${count} batch(es) to be dispatched, but ${this.batches.length} were.`)
  }

  assertNothingBatched(): void {
    this.assertBatchCount(0)
  }

  private matching<T extends Job>(cls: JobClass<T>, predicate?: DispatchedPredicate<T>): DispatchedJob[] {
    const name = jobNameOf(cls)
    return this.jobs.filter((record) => jobNameOf(record.job) === name && (!predicate || predicate(record.job as T, record)))
  }

  private summary(): string {
    if (this.jobs.length === 0) return ' Nothing was dispatched.'
    return ` Dispatched: ${this.jobs.map((record) => jobNameOf(record.job)).join(', ')}.`
  }
}

function sameJob(actual: Job, expected: JobClass | Job): boolean {
  if (jobNameOf(actual) !== jobNameOf(expected)) return false
  return typeof expected === 'function' || isDeepStrictEqual(jobData(actual), jobData(expected))
}

function fail(message: string): never {
  throw new AssertionError({ message })
}

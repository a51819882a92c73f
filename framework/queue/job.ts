/**
 * The base classes of every job. Queueing is decided at runtime (TypeScript interfaces are erased):
 * a `Job` runs at once when dispatched, like a Laravel job without ShouldQueue; a `QueuedJob` goes to a
 * queue. A job's data is its enumerable own properties minus the settings below; they travel through
 * the payload codec, so they must be plain data.
 */
import type { JobContext } from './contracts.ts'
import { JobNotRunningError } from './errors.ts'
import { ManuallyFailedError } from './worker/errors.ts'
import { PendingDispatch } from './pending-dispatch.ts'
import type { Batch } from '../bus/batch.ts'
import { busStateOf, peekBusState } from '../bus/job-bus-state.ts'
import type { BusFailure } from '../bus/payload-fields.ts'

/**
 * Wraps a job's handle(): `await next()` runs the rest of the pipeline (Laravel's job middleware). Not
 * calling next() skips the job. The result is awaited and otherwise ignored.
 */
export interface JobMiddleware {
  handle(job: Job, next: () => Promise<void>): unknown
}

/** What `this.release()`, `this.delete()` and `this.fail()` recorded during one run; the worker reads it. */
export interface JobRuntimeState {
  released: number | null
  deleted: boolean
  failed: Error | null
}

/** Instance properties that configure a job rather than carry its data. */
export const JOB_SETTING_KEYS = [
  'tries',
  'backoff',
  'timeout',
  'maxExceptions',
  'failOnTimeout',
  'connection',
  'queue',
  'delay',
  'afterCommit',
  'uniqueFor',
  'job',
] as const

/** A job class as the registry and codec see it: any concrete subclass, whatever its constructor. */
export type JobClass<T extends Job = Job> = (abstract new (...args: never[]) => T) & { jobName?: string; readonly prototype: T }

type Condition = boolean | (() => boolean)

interface Runtime {
  context: JobContext
  state: JobRuntimeState
}

/**
 * A running job's runtime lives on the instance, under a non-enumerable symbol (invisible to Object.keys,
 * JSON, spreads and the payload codec): a WeakMap entry per job cost ~0.5 µs of the worker's per-job CPU,
 * mostly in collecting it. A job that cannot take a property (frozen) keeps it in the WeakMap, which
 * then wins over any property left from an earlier run.
 */
const RUNTIME: unique symbol = Symbol('kiln.jobRuntime')
const runtimes = new WeakMap<Job, Runtime>()

function runtimeOf(job: Job): Runtime | undefined {
  return runtimes.get(job) ?? (job as Job & { [RUNTIME]?: Runtime })[RUNTIME]
}

export abstract class Job {
  /** The name payloads carry for this class; the class name unless set. Must be unique across jobs. */
  static jobName?: string

  // Settings are `declare`d so that instances carry none of them unless a subclass sets them.
  /** Attempts before the job fails for good (the worker's --tries when unset; 0 = unlimited). */
  declare tries?: number
  /** Seconds before each retry; an array gives one value per retry, the last repeating. */
  declare backoff?: number | number[]
  /** Seconds an attempt may run before it counts as failed. */
  declare timeout?: number
  /** Thrown errors tolerated before failing (releases do not count). */
  declare maxExceptions?: number
  /** Fail at once (no retry) when an attempt times out. */
  declare failOnTimeout?: boolean
  /** The queue connection (config/queue.ts) this job goes to unless the dispatch names one. */
  declare connection?: string
  declare queue?: string
  /** Seconds before the job becomes available. */
  declare delay?: number
  /** Push only once the transaction it is dispatched in commits (see PendingDispatch.withTransaction). */
  declare afterCommit?: boolean

  /** The time after which the job is no longer retried (replaces `tries`). */
  retryUntil?(): Date
  /** Called once, when the job has failed for good. */
  failed?(error: Error): Promise<void> | void
  middleware?(): JobMiddleware[]

  abstract handle(): Promise<void> | void

  /** The reservation this run belongs to: id, uuid, queue, connection, attempts and the timeout signal. */
  get job(): JobContext {
    const runtime = runtimeOf(this)
    if (!runtime) throw new JobNotRunningError(jobNameOf(this))
    return runtime.context
  }

  /** Times the job has been reserved, this run included (1 when it is not running on a queue). */
  attempts(): number {
    return runtimeOf(this)?.context.attempts ?? 1
  }

  /** Puts the job back on its queue, available again after `seconds`. */
  release(seconds = 0): void {
    const state = runtimeOf(this)?.state
    if (state) state.released = Math.max(0, seconds)
  }

  /** Removes the job from its queue without running it again. */
  delete(): void {
    const state = runtimeOf(this)?.state
    if (state) state.deleted = true
  }

  /** Fails the job for good: no retries; its failed() hook runs. */
  fail(error?: Error | string): void {
    const state = runtimeOf(this)?.state
    const reason = typeof error === 'string' ? new Error(error) : (error ?? new ManuallyFailedError(jobNameOf(this)))
    if (!state) throw reason
    state.failed = reason
  }

  /** Runs `job` right after this one succeeds, before the rest of the chain (the latest prepended runs first). */
  prependToChain(job: Job): this {
    busStateOf(this).prepended.unshift(job)
    return this
  }

  /** Runs `job` at the end of this job's chain (or after this job, when it is not chained). */
  appendToChain(job: Job): this {
    busStateOf(this).appended.push(job)
    return this
  }

  /** The batch this job runs in (or, for a then/catch/finally job, reports on); null otherwise. */
  async batch(): Promise<Batch | null> {
    const state = peekBusState(this)
    return state?.batchId && state.findBatch ? state.findBatch(state.batchId) : null
  }

  /** For a chain's or batch's catch job: which job failed and why. Null for other jobs. */
  failure(): BusFailure | null {
    return peekBusState(this)?.failure ?? null
  }

  /**
   * `await SendWelcomeEmail.dispatch(user)`: queues it (QueuedJob) or runs it now (Job); yields the job id
   * (typed `string | null` for unique jobs: null when dropped as a duplicate).
   */
  static dispatch<C extends new (...args: never[]) => Job>(this: C, ...args: ConstructorParameters<C>): PendingDispatch<DispatchResult<C>> {
    return new PendingDispatch<DispatchResult<C>>(new this(...args))
  }

  /** Runs the job now, in this process, through the worker's pipeline, even if it is a QueuedJob. */
  static dispatchSync<T extends Job, A extends unknown[]>(this: new (...args: A) => T, ...args: A): PendingDispatch {
    return new PendingDispatch(new this(...args), { sync: true })
  }

  /** Dispatches only when `condition` holds; the job is not even constructed otherwise (yields null). */
  static dispatchIf<T extends Job, A extends unknown[]>(this: new (...args: A) => T, condition: Condition, ...args: A): PendingDispatch<string | null> {
    return evaluate(condition) ? new PendingDispatch<string | null>(new this(...args)) : PendingDispatch.skipped()
  }

  static dispatchUnless<T extends Job, A extends unknown[]>(this: new (...args: A) => T, condition: Condition, ...args: A): PendingDispatch<string | null> {
    return evaluate(condition) ? PendingDispatch.skipped() : new PendingDispatch<string | null>(new this(...args))
  }
}

/** What awaiting `X.dispatch()` yields: the job id, or null too for a unique job (dropped as a duplicate; unique-jobs.ts). */
export type DispatchResult<C> = C extends { shouldBeUnique: boolean } | { uniqueUntilProcessing: boolean } ? string | null : string

/** The runtime queue marker (Laravel's ShouldQueue): dispatching a QueuedJob stores it on a queue. */
export abstract class QueuedJob extends Job {
  /** Marker read at runtime; see isQueued(). */
  static readonly shouldQueue = true
}

/** Whether a job goes to a queue when dispatched (it extends QueuedJob). */
export function isQueued(job: Job): boolean {
  return job instanceof QueuedJob
}

export function isJobClass(value: unknown): value is JobClass {
  return typeof value === 'function' && value.prototype instanceof Job
}

/** The name a job is registered and stored under. */
export function jobNameOf(job: Job | JobClass): string {
  // The class from the prototype chain: a job's own `constructor` data property must not rename it.
  const cls = (job instanceof Job ? (Object.getPrototypeOf(job) as { constructor: JobClass }).constructor : job) as JobClass
  return Object.hasOwn(cls, 'jobName') && cls.jobName ? cls.jobName : cls.name
}

/**
 * Attaches a run's context to a job instance (called by the worker pipeline before handle()). The
 * returned state is filled by this.release() / this.delete() / this.fail() during the run.
 */
export function bindJobRuntime(job: Job, context: JobContext): JobRuntimeState {
  const state: JobRuntimeState = { released: null, deleted: false, failed: null }
  const runtime: Runtime = { context, state }
  if (Object.isExtensible(job) && !runtimes.has(job)) Object.defineProperty(job, RUNTIME, { value: runtime, writable: true, configurable: true })
  else runtimes.set(job, runtime)
  return state
}

function evaluate(condition: Condition): boolean {
  return typeof condition === 'function' ? condition() : condition
}

import { randomUUID } from 'node:crypto'
import type { Application } from '../../foundation/application.ts'
import { describeError, isKilnError } from '../../support/errors.ts'
import type { JobPayload, ReservedJob } from '../contracts.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing, JobReleasedAfterException, JobTimedOut } from '../events.ts'
import { bindJobRuntime, type Job, type JobRuntimeState } from '../job.ts'
import { decodePayload } from '../payload-codec.ts'
import { openJob } from '../payload-security.ts'
import { releaseUniqueLock } from '../unique-jobs.ts'
import { failedFollowUps, hasFollowUpWork, shouldSkip, succeededFollowUps } from '../../bus/job-lifecycle.ts'
import { hasBusFields } from '../../bus/payload-fields.ts'
import { peekBusState } from '../../bus/job-bus-state.ts'
import { acknowledgeWithFollowUps } from '../../bus/follow-ups.ts'
import { decide, type DecideInput, type Decision, type Outcome } from './decide.ts'
import { TimeoutExceededError } from './errors.ts'
import { exceptionCounter } from './exception-counter.ts'
import { AttemptContext, type Abortable } from './attempt-context.ts'
import type { WorkerOptions } from './options.ts'
import type { Watchdog } from './watchdog.ts'
import type { JobRegistry } from '../registry.ts'
import { restoreModels, shouldDeleteWhenMissingModels } from '../../model/model-codec.ts'

/**
 * The one pipeline every job goes through, on a worker or the sync driver:
 * decode -> registry -> hydrate -> bind runtime -> middleware -> handle() -> decide -> delete | release | fail.
 * Drivers only store; what happens to an attempt is decided once, in decide().
 */
export async function processJob(app: Application, reserved: ReservedJob, options: WorkerOptions, hooks: ProcessHooks = {}): Promise<ProcessResult> {
  return processJobNow(app, reserved, options, hooks)
}

/**
 * processJob() for the worker: the result itself when the job was settled without waiting on anything,
 * else a promise of it. The usual job (a plain job whose handle() returns without a promise, acknowledged
 * by a hook that does not make it wait) is, from decode to acknowledgement: no suspended async frame, no
 * promise. Each one avoided is young-generation garbage (~5 KB a job in all) that cost time and, over
 * 100,000 jobs, resident memory. Anything that has to wait (a first look at the registry, a listener, an
 * async handler, a chain's bookkeeping, a failure) continues on a promise.
 */
export function processJobNow(app: Application, reserved: ReservedJob, options: WorkerOptions, hooks: ProcessHooks): ProcessResult | Promise<ProcessResult> {
  const started = performance.now()
  const preparing = prepare(app, reserved)
  if (preparing instanceof Promise) return preparing.then((prepared) => processPrepared(app, reserved, prepared, options, hooks, started))
  return processPrepared(app, reserved, preparing, options, hooks, started)
}

function processPrepared(app: Application, reserved: ReservedJob, prepared: Prepared, options: WorkerOptions, hooks: ProcessHooks, started: number): ProcessResult | Promise<ProcessResult> {
  if (!prepared.ok) return failUnprocessable(app, reserved, prepared, options, hooks, started)
  const claim = decide(policy(prepared.payload, options, reserved, hooks, prepared.jobName, CLAIMED))
  if (claim.action === 'fail') return carryOut(app, reserved, claim, prepared.payload, prepared.job, hooks).then(() => result(prepared.jobName, claim, claim.error, started))
  const timeout = hooks.sync ? 0 : (prepared.payload.timeout ?? options.timeout)
  if (holdsUniqueLock(prepared.payload)) {
    return releaseUniqueLock(app, prepared.payload, 'processing').then(() => attemptAndSettle(app, reserved, prepared, timeout, options, hooks, started))
  }
  return attemptAndSettle(app, reserved, prepared, timeout, options, hooks, started)
}

function attemptAndSettle(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: true }, timeout: number, options: WorkerOptions, hooks: ProcessHooks, started: number): ProcessResult | Promise<ProcessResult> {
  const attempting = runAttempt(app, reserved, prepared, timeout, hooks)
  if (attempting instanceof Promise) return attempting.then((attempt) => settle(app, reserved, prepared, attempt, options, hooks, started))
  return settle(app, reserved, prepared, attempting, options, hooks, started)
}

/** A success with nothing but its acknowledgement to do settles here, without a promise unless the acknowledgement makes one. */
function settle(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: true }, attempt: Attempt, options: WorkerOptions, hooks: ProcessHooks, started: number): ProcessResult | Promise<ProcessResult> {
  const { outcome } = attempt
  if (outcome.kind !== 'success' || !isPlainAck(prepared) || app.make('events').hasListeners(JobProcessed)) {
    return settleAttempt(app, reserved, prepared, attempt, options, hooks, started)
  }
  // A handler that settled gave the event loop back: nothing is left for the watchdog to guard.
  if (attempt.watch !== undefined) hooks.watchdog?.disarm(attempt.watch)
  hooks.settling?.(reserved)
  const acknowledged = hooks.acknowledge ? hooks.acknowledge(reserved) : reserved.delete()
  if (acknowledged instanceof Promise) return acknowledged.then(() => result(prepared.jobName, ACK, null, started))
  return result(prepared.jobName, ACK, null, started)
}

/** Any other outcome: the decision, carried out, announced, and a handler that ignored its timeout waited for. */
async function settleAttempt(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: true }, attempt: Attempt, options: WorkerOptions, hooks: ProcessHooks, started: number): Promise<ProcessResult> {
  const { payload, job, jobName } = prepared
  const { outcome } = attempt
  // A handler that settled gave the event loop back: nothing is left for the watchdog to guard. Persisting
  // the outcome may wait on a server that is down (the driver reconnects), which is no reason to kill us.
  let watch = attempt.watch
  if (watch !== undefined && outcome.kind !== 'timeout') {
    hooks.watchdog?.disarm(watch)
    watch = undefined
  }
  let exceptions = 0
  if (outcome.kind === 'error') {
    // Counted only for jobs with maxExceptions: a cache round trip per error is not free.
    if (payload.maxExceptions) exceptions = await exceptionCounter(app).increment(payload.uuid)
    await app.make('events').dispatch(new JobExceptionOccurred(reserved.connectionName, reserved, payload, outcome.error))
  }
  const decision = decide(policy(payload, options, reserved, hooks, jobName, outcome, exceptions))
  await carryOut(app, reserved, decision, payload, job, hooks)
  await announce(app, reserved, payload, outcome, decision)

  // The outcome is persisted; now, if the handler ignored its signal, give it a moment to settle. If it
  // still has not, the caller must exit the process (a supervisor restarts it), as Laravel's worker does.
  const abandoned = outcome.kind === 'timeout' && !(await settlesWithin(attempt.running, attempt.graceMs))
  if (watch !== undefined) hooks.watchdog?.disarm(watch)
  // Still the last resort while the process winds down: should exiting itself hang, the watchdog kills it.
  if (abandoned) hooks.watchdog?.arm(Date.now() + ABANDONED_EXIT_MS)
  if (hooks.rethrow && outcome.kind === 'error') throw outcome.error
  const error = outcome.kind === 'error' || outcome.kind === 'timeout' ? outcome.error : decision.action === 'fail' ? decision.error : null
  return result(jobName, decision, error, started, abandoned)
}

/** Unknown job or unreadable payload: failed at once, byte for byte, without a stack trace. */
async function failUnprocessable(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: false }, options: WorkerOptions, hooks: ProcessHooks, started: number): Promise<ProcessResult> {
  const decision = decide(policy(null, options, reserved, hooks, prepared.jobName, { kind: 'unprocessable', error: prepared.error }))
  await carryOut(app, reserved, decision, null, null, hooks)
  if (hooks.rethrow) throw prepared.error
  return result(prepared.jobName, decision, prepared.error, started)
}

function result(jobName: string, decision: Decision, error: Error | null, started: number, abandoned = false): ProcessResult {
  return { jobName, decision, error, durationMs: performance.now() - started, abandoned }
}

export interface ProcessHooks {
  /** Guards attempts that block the event loop (see Watchdog). */
  watchdog?: Watchdog
  /** Milliseconds a timed-out handler gets to settle before the process must exit. */
  graceMs?: number
  /** Rethrow the handler's error (or why the payload cannot run) to the caller once the job is handled (the sync driver). */
  rethrow?: boolean
  /** One attempt only, whatever the job's tries (the sync driver, like Laravel's SyncQueue). */
  sync?: boolean
  /** Write finally failed jobs to the failed-job store (default true; the sync driver does not, like Laravel's). */
  logFailed?: boolean
  /** Called as the handler starts, with the controller of its `this.job.signal` (lease renewal aborts it). */
  onAttempt?: (reserved: ReservedJob, controller: Abortable) => void
  /** Acknowledges a succeeded job instead of `reserved.delete()` (the worker's delete-and-fetch-next). */
  acknowledge?: (reserved: ReservedJob) => Promise<void> | void
  /** Called just before the job is deleted, released or failed (lease renewal stops there). */
  settling?: (reserved: ReservedJob) => void
}

export interface ProcessResult {
  /** The payload's display name (or a placeholder for an unreadable payload). */
  jobName: string
  decision: Decision
  /** The attempt's error, if any. */
  error: Error | null
  durationMs: number
  /** The handler timed out and had not settled after the grace period: the process must exit. */
  abandoned: boolean
}

export const DEFAULT_GRACE_MS = 1000
/**
 * Extra time, beyond timeout + grace, before the watchdog kills the process. A hung (non-blocking)
 * handler's outcome is persisted right at the timeout, so this only needs to cover that write; kept short
 * so a CPU-bound handler's attempt ends within timeout + 2 s (the watchdog checks every 200 ms).
 */
const WATCHDOG_MARGIN_MS = 500
/** Time an abandoned worker gets to shut down cleanly before the watchdog kills it. */
const ABANDONED_EXIT_MS = 10_000
const TIMED_OUT = Symbol('timed out')
const CLAIMED: Outcome = { kind: 'claimed' }
const ACK: Decision = { action: 'ack' }
/** The `running` of an attempt that settled synchronously (or never started). */
const NOTHING_RUNNING: Promise<Error | null> = Promise.resolve(null)

/** `bus`: the payload carries chain or batch fields (looked up once: seven missing keys on every plain payload). */
type Prepared = { ok: true; jobName: string; payload: JobPayload; job: Job; bus: boolean } | { ok: false; jobName: string; error: Error }

interface Attempt {
  outcome: Outcome
  /** The handler's promise, which may outlive a timeout. */
  running: Promise<Error | null>
  graceMs: number
  /** The watchdog deadline guarding this attempt, if any. */
  watch: number | undefined
}

/** Runs handle() once, through the job's middleware, racing its timeout (which aborts this.job.signal). */
function runAttempt(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: true }, timeout: number, hooks: ProcessHooks): Attempt | Promise<Attempt> {
  const events = app.make('events')
  // Nobody listening (the usual worker) costs neither the event object nor an await.
  if (!events.hasListeners(JobProcessing)) return attemptNow(app, reserved, prepared, timeout, hooks)
  return events.dispatch(new JobProcessing(reserved.connectionName, reserved, prepared.payload)).then(() => attemptNow(app, reserved, prepared, timeout, hooks))
}

function attemptNow(app: Application, reserved: ReservedJob, prepared: Prepared & { ok: true }, timeout: number, hooks: ProcessHooks): Attempt | Promise<Attempt> {
  const context = new AttemptContext(reserved, prepared.payload.uuid)
  hooks.onAttempt?.(reserved, context)
  const setup: AttemptSetup = { app, reserved, prepared, context, state: bindJobRuntime(prepared.job, context), timeout, graceMs: hooks.graceMs ?? DEFAULT_GRACE_MS, hooks }
  // Only an object can hold a model reference: a job of plain values skips the walk and its promises.
  return holdsObjects(prepared.job) ? restoreModelsThenRun(setup) : run(setup)
}

/** One attempt, bound and ready to run. */
interface AttemptSetup {
  app: Application
  reserved: ReservedJob
  prepared: Prepared & { ok: true }
  context: AttemptContext
  state: JobRuntimeState
  timeout: number
  graceMs: number
  hooks: ProcessHooks
}

/**
 * SerializesModels: fetch the job's models fresh. A missing one fails the job at once (no retry), or
 * deletes it silently when the job sets deleteWhenMissingModels (Laravel's CallQueuedHandler).
 */
async function restoreModelsThenRun(setup: AttemptSetup): Promise<Attempt> {
  const { job } = setup.prepared
  try {
    await restoreModels(job)
  } catch (error) {
    const outcome: Outcome = shouldDeleteWhenMissingModels(job, error) ? { kind: 'deleted' } : { kind: 'failed', error: asError(error) }
    return { outcome, running: NOTHING_RUNNING, graceMs: setup.graceMs, watch: undefined }
  }
  return run(setup)
}

function run({ app, reserved, prepared, context, state, timeout, graceMs, hooks }: AttemptSetup): Attempt | Promise<Attempt> {
  const { payload, job, jobName } = prepared
  const watch = timeout > 0 ? hooks.watchdog?.arm(Date.now() + timeout * 1000 + graceMs + WATCHDOG_MARGIN_MS) : undefined
  const startedAt = performance.now()
  let running: Promise<Error | null>
  if (prepared.bus || typeof job.middleware === 'function') {
    // A job of a cancelled batch skips itself (and counts as done); shouldSkip also binds this.batch().
    running = prepared.bus ? shouldSkip(app, payload, job).then((skip) => (skip ? null : runThroughMiddleware(job)), asError) : runThroughMiddleware(job)
  } else {
    // A plain job calls handle() directly. One that returns without a promise has settled: no timer can
    // have fired during its synchronous run, so there is nothing to race (the watchdog guarded it).
    let returned: unknown
    try {
      returned = job.handle()
    } catch (error) {
      return { outcome: toOutcome(state, asError(error)), running: NOTHING_RUNNING, graceMs, watch }
    }
    if (!isThenable(returned)) return { outcome: toOutcome(state, null), running: NOTHING_RUNNING, graceMs, watch }
    running = Promise.resolve(returned).then(() => null, asError)
  }
  return raceTimeout(running, timeout, startedAt).then(async (settled) => {
    if (settled !== TIMED_OUT) return { outcome: toOutcome(state, settled), running, graceMs, watch }
    const error = new TimeoutExceededError(jobName, timeout)
    context.abort(error)
    await app.make('events').dispatch(new JobTimedOut(reserved.connectionName, reserved, payload, error))
    return { outcome: { kind: 'timeout', error }, running, graceMs, watch }
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/** The events that follow a carried-out decision (JobFailed is fired where the failure is carried out). */
async function announce(app: Application, reserved: ReservedJob, payload: JobPayload, outcome: Outcome, decision: Decision): Promise<void> {
  const events = app.make('events')
  if (decision.action === 'ack' && events.hasListeners(JobProcessed)) await events.dispatch(new JobProcessed(reserved.connectionName, reserved, payload))
  if (decision.action === 'release' && (outcome.kind === 'error' || outcome.kind === 'timeout')) {
    await events.dispatch(new JobReleasedAfterException(reserved.connectionName, reserved, payload, decision.delay))
  }
}

/** Decodes and opens the job; a promise only while the registry's discovery has not finished. */
function prepare(app: Application, reserved: ReservedJob): Prepared | Promise<Prepared> {
  let payload: JobPayload
  try {
    payload = decodePayload(reserved.rawBody)
  } catch (error) {
    return { ok: false, jobName: UNREADABLE, error: asError(error) }
  }
  const jobs = app.make('jobs')
  if (readyRegistries.has(jobs)) return open(app, reserved, payload, jobs)
  return jobs.ready().then(
    (registry) => {
      readyRegistries.add(registry)
      return open(app, reserved, payload, registry)
    },
    (error: unknown): Prepared => ({ ok: false, jobName: payload.displayName || payload.job || UNREADABLE, error: asError(error) }),
  )
}

function open(app: Application, reserved: ReservedJob, payload: JobPayload, registry: JobRegistry): Prepared {
  try {
    return { ok: true, jobName: payload.displayName || payload.job, payload, job: openJob(app, reserved.rawBody, payload, registry), bus: hasBusFields(payload) }
  } catch (error) {
    return { ok: false, jobName: payload.displayName || payload.job || UNREADABLE, error: asError(error) }
  }
}

const UNREADABLE = 'Unreadable job'
/** Registries whose discovery has finished: ready() is memoized and never undone, so later jobs skip its await. */
const readyRegistries = new WeakSet<JobRegistry>()

/** Runs job middleware (`handle(job, next)`) around handle(); errors come back as values. */
async function runThroughMiddleware(job: Job): Promise<Error | null> {
  // Most jobs have no middleware: no array, closure and extra async frame per job for them.
  if (typeof job.middleware !== 'function') {
    try {
      await job.handle()
      return null
    } catch (error) {
      return asError(error)
    }
  }
  const middleware = job.middleware()
  const run = async (index: number): Promise<void> => {
    const layer = middleware[index]
    if (!layer) return void (await job.handle())
    await layer.handle(job, () => run(index + 1))
  }
  try {
    await run(0)
    return null
  } catch (error) {
    return asError(error)
  }
}

/**
 * Races a started attempt against what is left of its timeout (its synchronous part counted). One promise
 * and one timer per attempt: Promise.race() with a timer promise and .finally() cost three more promises
 * and two closures on every job.
 */
function raceTimeout(running: Promise<Error | null>, timeoutSeconds: number, startedAt: number): Promise<Error | null | typeof TIMED_OUT> {
  if (timeoutSeconds <= 0) return running
  return new Promise<Error | null | typeof TIMED_OUT>((resolve, reject) => {
    const timer = setTimeout(resolve, Math.max(0, timeoutSeconds * 1000 - (performance.now() - startedAt)), TIMED_OUT)
    running.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

async function settlesWithin(running: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const settled = await Promise.race([running.then(() => true as const), late])
  clearTimeout(timer)
  return settled
}

/** Precedence: this.fail() > a thrown error > this.delete() > this.release() > success. */
function toOutcome(state: JobRuntimeState, error: Error | null): Outcome {
  if (state.failed) return { kind: 'failed', error: state.failed }
  if (error) return { kind: 'error', error, releasedDelay: state.released }
  if (state.deleted) return { kind: 'deleted' }
  if (state.released !== null) return { kind: 'released', delay: state.released }
  return { kind: 'success' }
}

/** decide()'s input: the job's own retry settings from its payload, the worker's as defaults (one literal, no spreads: it runs twice per job). */
function policy(payload: JobPayload | null, options: WorkerOptions, reserved: ReservedJob, hooks: ProcessHooks, jobName: string, outcome: Outcome, exceptions = 0): DecideInput {
  return {
    outcome,
    jobName,
    attempts: reserved.attempts,
    jobTries: hooks.sync ? 1 : (payload?.maxTries ?? null),
    workerTries: options.tries,
    jobBackoff: payload?.backoff ?? null,
    workerBackoff: options.backoff,
    maxExceptions: hooks.sync ? null : (payload?.maxExceptions ?? null),
    exceptions,
    retryUntil: hooks.sync ? null : (payload?.retryUntil ?? null),
    failOnTimeout: payload?.failOnTimeout ?? false,
    now: Date.now(),
  }
}

/**
 * Executes a decision. A failure is written to failed_jobs *before* the reservation is deleted: a crash
 * in between re-runs the claim check rather than losing the job. The bus's work (batch counts, a chain's
 * next link) is done before the acknowledgement, idempotently, for the same reason.
 */
async function carryOut(app: Application, reserved: ReservedJob, decision: Decision, payload: JobPayload | null, job: Job | null, hooks: ProcessHooks): Promise<void> {
  if (decision.action !== 'run') hooks.settling?.(reserved)
  switch (decision.action) {
    case 'run':
      return
    case 'ack': {
      // A chained or batched job is counted (idempotently) before its ack, and acknowledged together with
      // the jobs it leads to: a kill in between leaves it reserved, to run again, never lost half-done.
      const followUps = payload && hasFollowUpWork(payload, job) ? await succeededFollowUps(app, payload, job) : null
      if (followUps && followUps.length > 0) await acknowledgeWithFollowUps(app, reserved, followUps)
      else await (hooks.acknowledge ? hooks.acknowledge(reserved) : reserved.delete())
      if (holdsUniqueLock(payload)) await releaseUniqueLock(app, payload, 'finished')
      if (payload?.maxExceptions) await exceptionCounter(app).forget(payload.uuid)
      return
    }
    case 'release':
      await reserved.release(decision.delay)
      return
    case 'fail': {
      if (hooks.logFailed !== false) {
        await app.make('queue.failed').log({
          uuid: payload?.uuid ?? uuidFromRaw(reserved.rawBody) ?? randomUUID(),
          connection: reserved.connectionName,
          queue: reserved.queue,
          payload: reserved.rawBody,
          exception: exceptionText(decision.error),
        })
      }
      // The chain's catch job and the batch's callbacks go with the delete, as on success.
      const followUps = payload ? await failedFollowUps(app, payload, decision.error) : null
      await (followUps && followUps.length > 0 ? acknowledgeWithFollowUps(app, reserved, followUps) : reserved.delete())
      await releaseUniqueLock(app, payload, 'finished')
      if (payload?.maxExceptions) await exceptionCounter(app).forget(payload.uuid)
      let hookError: Error | null = null
      if (job && typeof job.failed === 'function') {
        try {
          await job.failed(decision.error)
        } catch (error) {
          hookError = asError(error)
        }
      }
      await app.make('events').dispatch(new JobFailed(reserved.connectionName, reserved, payload, decision.error))
      if (hookError) throw hookError
      return
    }
  }
}

/** Kiln's own errors are self-explanatory: no stack. Errors from user code keep theirs, for debugging. */
export function exceptionText(error: Error): string {
  if (isKilnError(error)) return `${error.name} [${error.code}]: ${error.message}`
  return error.stack ?? describeError(error)
}

function uuidFromRaw(raw: string): string | null {
  const match = /"uuid"\s*:\s*"([0-9a-fA-F-]{36})"/.exec(raw)
  return match?.[1] ?? null
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error))
}

/**
 * Whether the payload carries a unique lock at all (releaseUniqueLock() ignores anything but an object):
 * a job without one skips two async calls per attempt.
 */
function holdsUniqueLock(payload: JobPayload | null): boolean {
  return typeof payload?.uniqueLock === 'object' && payload.uniqueLock !== null
}

/** Whether a success has nothing to do but its acknowledgement: no chain or batch, no unique lock, no exception count. */
function isPlainAck({ payload, job, bus }: Prepared & { ok: true }): boolean {
  return !bus && peekBusState(job) === undefined && !holdsUniqueLock(payload) && !payload.maxExceptions
}

/** Whether any of the job's own properties is an object: restoreModels() looks nowhere else for model references. */
function holdsObjects(job: Job): boolean {
  const record = job as unknown as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (typeof value === 'object' && value !== null) return true
  }
  return false
}

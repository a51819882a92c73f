import { setTimeout as sleep } from 'node:timers/promises'
import type { Application } from '../../foundation/application.ts'
import type { QueueDriver, ReservedJob } from '../contracts.ts'
import { Looping, WorkerStopping } from '../events.ts'
import { TimeoutExceedsRetryAfterError } from './errors.ts'
import type { WorkerOptions } from './options.ts'
import { processJob, type ProcessResult } from './process-job.ts'
import { RestartSignal } from './restart-signal.ts'
import { EXIT_ERROR, shouldStop, type StopReason, type WorkerState } from './should-stop.ts'
import { Watchdog } from './watchdog.ts'

/**
 * The queue worker, read as a story (Laravel's Worker::daemon): look at the queues in priority order,
 * claim as many jobs as there are free slots, run each through processJob(), and after every step ask
 * shouldStop(). It emits events (Looping, JobProcessing, ..., WorkerStopping) and never prints:
 * `queue:work` renders them.
 */
export class Worker {
  private readonly inFlight = new Set<Promise<void>>()
  private readonly restart: RestartSignal
  private readonly watchdog = new Watchdog()
  private readonly startedAt = Date.now()
  private signal: string | null = null
  private restartSignalAtStart: number | null = null
  private abandoned: StopReason | null = null
  private jobsProcessed = 0
  private loops = 0
  private queuesEmpty = false
  /** The last look at the queues failed (not the same as finding them empty). */
  private popFailed = false
  private wake: AbortController = new AbortController()
  /** Aborted by stop(): cuts short back-offs and rests, so SIGTERM is honoured promptly. */
  private readonly stopping = new AbortController()
  private memorySampledAt = -Infinity
  private lastMemoryMb = 0

  constructor(
    private readonly app: Application,
    readonly connectionName: string,
    private readonly options: WorkerOptions,
    private readonly settings: WorkerSettings = {},
  ) {
    this.restart = new RestartSignal(app, settings.onError)
  }

  /** Runs until a stop condition holds, finishes the jobs in flight, and returns why it stopped. */
  async daemon(): Promise<StopReason> {
    const manager = this.app.make('queue')
    this.validate()
    const driver = await manager.connection(this.connectionName)
    const queues = this.options.queues.length > 0 ? this.options.queues : [manager.defaultQueue(this.connectionName)]
    this.restartSignalAtStart = await this.restart.current(Date.now(), true)
    const removeSignalHandlers = this.settings.listenForSignals === false ? () => undefined : this.listenForSignals()
    try {
      let stop: StopReason | null
      while (!(stop = await this.stopIfNecessary())) await this.loop(driver, queues)
      await Promise.all(this.inFlight)
      stop = this.abandoned ?? stop
      await this.app.make('events').dispatch(new WorkerStopping(stop.code, stop.reason))
      return stop
    } finally {
      removeSignalHandlers()
      // A handler that ignored its timeout is still running: keep the watchdog armed until the process exits.
      if (!this.abandoned) await this.watchdog.stop()
    }
  }

  /** Asks the worker to stop taking jobs; those in flight finish first (SIGTERM does this). */
  stop(signal = 'stop'): void {
    this.signal ??= signal
    this.wake.abort(WAKE)
    this.stopping.abort(WAKE)
  }

  /** One turn: fill the free slots from the queues in priority order, then wait for a free slot or for work. */
  private async loop(driver: QueueDriver, queues: string[]): Promise<void> {
    await this.app.make('events').dispatch(new Looping(this.connectionName, queues.join(',')))
    const free = this.freeSlots()
    const started = free > 0 ? await this.startNextJobs(driver, queues, free) : 0
    this.loops++
    this.queuesEmpty = started === 0 && this.inFlight.size === 0 && !this.popFailed
    if (await this.stopIfNecessary()) return
    if (this.freeSlots() === 0) await this.waitForSlot()
    else if (started < free) await this.waitForJobs(driver, queues)
  }

  /** Claims up to `free` jobs, walking the queues in priority order, and starts each; returns how many. */
  private async startNextJobs(driver: QueueDriver, queues: string[], free: number): Promise<number> {
    let started = 0
    this.popFailed = false
    for (const queue of queues) {
      const wanted = free - started
      if (wanted <= 0 || this.signal) break
      const jobs = await this.pop(driver, queue, wanted)
      for (const job of jobs) this.start(job)
      started += jobs.length
    }
    return started
  }

  private async pop(driver: QueueDriver, queue: string, max: number): Promise<ReservedJob[]> {
    try {
      return await driver.pop(queue, max)
    } catch (error) {
      // A lost connection should not kill the worker: report, back off, try again on the next loop.
      this.popFailed = true
      await this.settings.onError?.(error)
      await this.pause(Math.max(this.options.sleep, 1) * 1000)
      return []
    }
  }

  private start(reserved: ReservedJob): void {
    const run = this.process(reserved).finally(() => {
      this.inFlight.delete(run)
      this.wake.abort(WAKE)
    })
    this.inFlight.add(run)
  }

  /** Runs one job; then rests (`--rest`) while still holding its slot. */
  private async process(reserved: ReservedJob): Promise<void> {
    let result: ProcessResult | null = null
    try {
      result = await processJob(this.app, reserved, this.options, { watchdog: this.watchdog, graceMs: this.settings.graceMs })
    } catch (error) {
      await this.settings.onError?.(error)
    }
    this.jobsProcessed++
    if (result?.abandoned) {
      this.abandoned ??= { code: EXIT_ERROR, reason: `${result.jobName} timed out and did not stop; the process must exit so a supervisor restarts it` }
      this.stop('abandoned')
    }
    if (this.options.rest > 0) await this.pause(this.options.rest * 1000)
  }

  /** Sleeps, unless or until the worker is asked to stop. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined)
  }

  private freeSlots(): number {
    let free = this.options.concurrency - this.inFlight.size
    if (this.options.once) free = Math.min(free, 1 - this.jobsProcessed - this.inFlight.size)
    if (this.options.maxJobs > 0) free = Math.min(free, this.options.maxJobs - this.jobsProcessed - this.inFlight.size)
    return Math.max(0, free)
  }

  private async stopIfNecessary(): Promise<StopReason | null> {
    if (this.abandoned) return this.abandoned
    const now = Date.now()
    const state: WorkerState = {
      signal: this.signal,
      startedAt: this.startedAt,
      now,
      restartSignal: await this.restart.current(now),
      restartSignalAtStart: this.restartSignalAtStart,
      memoryMb: this.memoryMb(now),
      // Jobs in flight count toward --max-jobs: they were claimed and will finish before we exit.
      jobsProcessed: this.jobsProcessed + this.inFlight.size,
      queuesEmpty: this.queuesEmpty,
      loops: this.loops,
    }
    return shouldStop(state, this.options)
  }

  /** Memory in MB, sampled at most every second: reading it costs more than a fast job. */
  private memoryMb(now: number): number {
    if (now - this.memorySampledAt >= MEMORY_SAMPLE_MS) {
      this.memorySampledAt = now
      this.lastMemoryMb = (this.settings.memoryUsage ?? defaultMemoryUsage)() / 1024 / 1024
    }
    return this.lastMemoryMb
  }

  /** Every slot is busy: wait until a job finishes (or a stop is requested). */
  private async waitForSlot(): Promise<void> {
    const wake = this.renewWake()
    if (!wake.aborted) await new Promise<void>((resolve) => wake.addEventListener('abort', () => resolve(), { once: true }))
    // Let jobs finishing in the same turn free their slots too, so the next claim takes them in one batch.
    await new Promise((resolve) => setImmediate(resolve))
  }

  /** The queues had nothing (more): wait `--sleep`, or less when the driver or a finishing job wakes us. */
  private async waitForJobs(driver: QueueDriver, queues: string[]): Promise<void> {
    const wake = this.renewWake()
    const ms = this.options.sleep * 1000
    if (wake.aborted) return
    // --sleep=0 looks again at once, but only after timers and I/O had a turn: a driver that answers
    // synchronously (better-sqlite3) would otherwise starve the jobs in flight in a microtask loop.
    if (ms <= 0) return void (await new Promise((resolve) => setImmediate(resolve)))
    try {
      if (driver.waitForJobs) await driver.waitForJobs(queues, ms, wake)
      else await sleep(ms, undefined, { signal: wake })
    } catch (error) {
      if (!wake.aborted) throw error
    }
  }

  /** A fresh wake-up signal, already aborted when a stop was requested meanwhile. */
  private renewWake(): AbortSignal {
    this.wake = new AbortController()
    if (this.signal) this.wake.abort(WAKE)
    return this.wake.signal
  }

  private listenForSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => this.stop(signal)
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    return () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    }
  }

  /**
   * Refuses settings that would break delivery: a timeout at or above retry_after lets a reservation
   * expire while its job still runs, so a second worker would run it too.
   */
  validate(): void {
    const config = this.app.make('queue').connectionConfig(this.connectionName)
    const retryAfter = 'retry_after' in config ? config.retry_after : null
    if (retryAfter !== null && this.options.timeout > 0 && this.options.timeout >= retryAfter) {
      throw new TimeoutExceedsRetryAfterError(this.connectionName, this.options.timeout, retryAfter)
    }
  }
}

export interface WorkerSettings {
  /** Install SIGTERM/SIGINT handlers (default true; in-process tests call stop() instead). */
  listenForSignals?: boolean
  /** Grace period (ms) a timed-out handler gets before the process must exit. */
  graceMs?: number
  /** Errors outside any job's handler (a lost connection, a failing failed() hook): the worker keeps going. */
  onError?: (error: unknown) => void | Promise<void>
  /** Bytes of memory in use (default: JavaScript heap plus buffers, see defaultMemoryUsage). */
  memoryUsage?: () => number
}

/**
 * What `--memory` limits: the JavaScript heap in use plus memory held by buffers, the closest Node has to
 * PHP's memory_get_usage(). The resident set size would count the runtime itself and the watchdog
 * thread (~80-130 MB before any job runs), making Laravel's default of 128 MB meaningless; leaks show
 * up in the heap and buffers, which is what the limit is for.
 */
const MEMORY_SAMPLE_MS = 1000
/** The reason given to wake-up aborts (a plain value: no DOMException built per job). */
const WAKE = Symbol('wake')

function defaultMemoryUsage(): number {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

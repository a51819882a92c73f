import { setTimeout as sleep } from 'node:timers/promises'
import type { Application } from '../../foundation/application.ts'
import type { QueueDriver, ReservedJob } from '../contracts.ts'
import { Looping, WorkerStopping } from '../events.ts'
import { connectWhenAvailable } from './connect.ts'
import { TimeoutExceedsRetryAfterError } from './errors.ts'
import type { WorkerOptions } from './options.ts'
import { LeaseKeeper } from './lease-keeper.ts'
import { DeferredAcks } from './deferred-acks.ts'
import { PrefetchBuffer } from './prefetch-buffer.ts'
import { processJobNow, type ProcessHooks, type ProcessResult } from './process-job.ts'
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
  /** Jobs running, by reservation (a job's own run removes it when done: no .finally() chain per job). */
  private readonly inFlight = new Map<ReservedJob, Promise<void>>()
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
  /** Resolves waitForSlot(): a plain callback, since an AbortController per job costs ~10 µs. */
  private slotFreed: (() => void) | null = null
  /** Aborted by stop(): cuts short back-offs and rests, so SIGTERM is honoured promptly. */
  private readonly stopping = new AbortController()
  private memorySampledAt = -Infinity
  private lastMemoryMb = 0
  /** Slots taken by claims still waiting for the server's answer (so two claims never overfill them). */
  private claiming = 0
  /** Renews the reservations of running jobs; null when the connection has no retry_after. */
  private leases: LeaseKeeper | null = null
  /** The same hooks for every job (no per-job closures). */
  private readonly hooks: ProcessHooks
  /** --prefetch: jobs reserved ahead of the free slots, and their batched acknowledgements; null when off. */
  private prefetched: PrefetchBuffer | null = null
  private deferredAcks: DeferredAcks | null = null

  constructor(
    private readonly app: Application,
    readonly connectionName: string,
    private readonly options: WorkerOptions,
    private readonly settings: WorkerSettings = {},
  ) {
    this.restart = new RestartSignal(app, settings.onError)
    this.hooks = {
      watchdog: this.watchdog,
      graceMs: settings.graceMs,
      onAttempt: (reserved, controller) => this.leases?.attach(reserved, controller),
      settling: (reserved) => this.leases?.release(reserved),
    }
  }

  /** Runs until a stop condition holds, finishes the jobs in flight, and returns why it stopped. */
  async daemon(): Promise<StopReason> {
    const manager = this.app.make('queue')
    this.validate()
    const retryMs = Math.max(this.options.sleep, 1) * 1000
    const driver = await connectWhenAvailable(() => manager.connection(this.connectionName), { retryMs, report: this.settings.onError, pause: (ms) => this.pause(ms), stopping: this.stopping.signal })
    const queues = this.options.queues.length > 0 ? this.options.queues : [manager.defaultQueue(this.connectionName)]
    this.restartSignalAtStart = await this.restart.current(Date.now(), true)
    this.leases = this.leaseKeeper()
    if (driver.deleteAndPop && queues.length === 1 && this.options.rest === 0 && !this.options.once) {
      this.hooks.acknowledge = (reserved) => this.acknowledge(driver, queues[0] as string, reserved)
    }
    await this.warnAtStart(driver)
    this.startPrefetching(driver, queues)
    const removeSignalHandlers = this.settings.listenForSignals === false ? () => undefined : this.listenForSignals()
    try {
      let stop: StopReason | null
      while (!(stop = await this.stopIfNecessary())) await this.loop(driver, queues)
      await this.prefetched?.returnAll().catch((error: unknown) => this.report(error))
      await Promise.all(this.inFlight.values())
      await this.deferredAcks?.flush()
      stop = this.abandoned ?? stop
      await this.app.make('events').dispatch(new WorkerStopping(stop.code, stop.reason))
      return stop
    } finally {
      removeSignalHandlers()
      this.leases?.stop()
      // A handler that ignored its timeout is still running: keep the watchdog armed until the process exits.
      if (!this.abandoned) await this.watchdog.stop()
    }
  }

  /** Asks the worker to stop taking jobs; those in flight finish first (SIGTERM does this). */
  stop(signal = 'stop'): void {
    this.signal ??= signal
    this.wakeUp()
    this.stopping.abort(WAKE)
  }

  /** One turn: fill the free slots from the queues in priority order, then wait for a free slot or for work. */
  private async loop(driver: QueueDriver, queues: string[]): Promise<void> {
    await this.app.make('events').dispatch(new Looping(this.connectionName, queues.join(',')))
    const free = this.freeSlots()
    const finishedBefore = this.jobsProcessed
    const started = free > 0 ? await this.startNextJobs(driver, queues, free) : 0
    this.loops++
    // A job that finished while the claim was out may have queued follow-ups (a chain's next link, batch
    // callbacks) after the claim read the queue: "empty" holds only if none did.
    const finishedMeanwhile = this.jobsProcessed !== finishedBefore
    this.queuesEmpty = started === 0 && this.inFlight.size === 0 && !finishedMeanwhile && !this.popFailed && !this.prefetched?.length
    if (await this.stopIfNecessary()) return
    if (this.freeSlots() === 0) await this.waitForSlot()
    else if (started < free) await this.waitForJobs(driver, queues)
    // Every job started has settled already (handlers that return at once): timers and I/O get a turn
    // before the next ones, as they do when the loop waits for a slot.
    else await new Promise((resolve) => setImmediate(resolve))
  }

  /** Claims up to `free` jobs, walking the queues in priority order, and starts each; returns how many. */
  private async startNextJobs(driver: QueueDriver, queues: string[], free: number): Promise<number> {
    if (this.prefetched) return this.startPrefetched(this.prefetched, free)
    let started = 0
    this.popFailed = false
    for (const queue of queues) {
      const wanted = free - started
      if (wanted <= 0 || this.signal) break
      const jobs = await this.pop(driver, queue, wanted)
      this.start(jobs)
      started += jobs.length
    }
    return started
  }

  /**
   * Finish and fetch next (the driver's deleteAndPop): acknowledges a succeeded job and claims the job
   * that takes its slot in the same round trip. Used only when one queue is worked (so no queue of
   * higher priority can be passed over), without --rest or --once, and only while no stop condition
   * holds and --max-jobs leaves room; otherwise a plain delete, and the loop claims as usual.
   */
  private async acknowledge(driver: QueueDriver, queue: string, reserved: ReservedJob): Promise<void> {
    if (!driver.deleteAndPop || reserved.queue !== queue) return reserved.delete()
    // Asked on every job: answered without a promise unless the restart signal is due for a read.
    let stop = this.stopReasonNow()
    if (stop === undefined) stop = await this.stopIfNecessary()
    if (stop) return reserved.delete()
    // Checked and taken in one synchronous step after the await: acks finishing together cannot overfill --max-jobs.
    const room = this.options.maxJobs === 0 || this.jobsProcessed + this.inFlight.size + this.claiming < this.options.maxJobs
    if (!room) return reserved.delete()
    this.claiming++
    let jobs: ReservedJob[]
    try {
      jobs = await driver.deleteAndPop(reserved, queue, 1)
    } finally {
      this.claiming--
    }
    this.start(jobs)
  }

  /** Prefetch mode: starts buffered jobs, claiming (and waiting) only when the buffer is empty. */
  private async startPrefetched(buffer: PrefetchBuffer, free: number): Promise<number> {
    this.popFailed = false
    if (buffer.length === 0 && !this.signal) {
      try {
        await buffer.fill(this.prefetchRoom(buffer))
      } catch (error) {
        this.popFailed = true
        await this.report(error)
        await this.pause(Math.max(this.options.sleep, 1) * 1000)
        return 0
      }
    }
    if (this.signal) return 0
    const jobs = buffer.take(free)
    this.start(jobs)
    buffer.topUp(this.prefetchRoom(buffer))
    return jobs.length
  }

  /** Jobs the buffer may still claim: --max-jobs counts buffered ones, which this worker will run. */
  private prefetchRoom(buffer: PrefetchBuffer): number {
    if (this.options.maxJobs === 0) return Infinity
    return Math.max(0, this.options.maxJobs - this.jobsProcessed - this.inFlight.size - buffer.length)
  }

  /**
   * Turns prefetching on when asked for (the --prefetch flag, else the connection's `prefetch`) and the
   * driver can give unstarted jobs back; --once never prefetches (it runs one job).
   */
  private startPrefetching(driver: QueueDriver, queues: string[]): void {
    const size = this.options.prefetch ?? this.connectionPrefetch()
    if (size <= 0 || this.options.once) return
    if (!driver.releaseUnstarted) {
      void this.settings.onWarning?.(`The [${this.connectionName}] connection cannot prefetch jobs; --prefetch is ignored.`)
      return
    }
    const report = (error: unknown) => this.report(error)
    const acks = new DeferredAcks(driver, report)
    this.deferredAcks = acks
    this.prefetched = new PrefetchBuffer(driver, queues, size, this.options.concurrency, this.leases, acks, report, () => this.wakeUp())
    this.hooks.acknowledge = (reserved) => acks.acknowledge(reserved)
  }

  private async report(error: unknown): Promise<void> {
    await this.settings.onError?.(error)
  }

  private async pop(driver: QueueDriver, queue: string, max: number): Promise<ReservedJob[]> {
    this.claiming += max
    try {
      return await driver.pop(queue, max)
    } catch (error) {
      // A lost connection should not kill the worker: report, back off, try again on the next loop.
      this.popFailed = true
      await this.settings.onError?.(error)
      await this.pause(Math.max(this.options.sleep, 1) * 1000)
      return []
    } finally {
      this.claiming -= max
    }
  }

  private start(jobs: ReservedJob[]): void {
    // All counted before the first runs: a job that settles at once is over, acknowledgement included,
    // before process() returns, and that acknowledgement's --max-jobs and stop checks must count every
    // job claimed with it.
    for (const reserved of jobs) {
      // A prefetched job's lease has been renewed since it was claimed.
      if (!this.prefetched) this.leases?.hold(reserved)
      this.inFlight.set(reserved, STARTING)
    }
    for (const reserved of jobs) {
      const running = this.process(reserved)
      // A job that settled at once has left inFlight already; a promise always yields before it leaves.
      if (running) this.inFlight.set(reserved, running)
    }
  }

  /** Runs one job; then rests (`--rest`) while still holding its slot, and frees the slot. A promise only when the job has to wait. */
  private process(reserved: ReservedJob): Promise<void> | undefined {
    let running: ProcessResult | Promise<ProcessResult>
    try {
      running = processJobNow(this.app, reserved, this.options, this.hooks)
    } catch (error) {
      running = Promise.reject(error)
    }
    if (running instanceof Promise || this.options.rest > 0) return this.processLater(reserved, running)
    this.processed(running)
    this.freeSlot(reserved)
    return undefined
  }

  private async processLater(reserved: ReservedJob, running: ProcessResult | Promise<ProcessResult>): Promise<void> {
    try {
      let result: ProcessResult | null = null
      try {
        result = await running
      } catch (error) {
        await this.settings.onError?.(error)
      }
      this.processed(result)
      if (this.options.rest > 0) await this.pause(this.options.rest * 1000)
    } finally {
      this.freeSlot(reserved)
    }
  }

  private processed(result: ProcessResult | null): void {
    this.jobsProcessed++
    if (result?.abandoned) {
      this.abandoned ??= { code: EXIT_ERROR, reason: `${result.jobName} timed out and did not stop; the process must exit so a supervisor restarts it` }
      this.stop('abandoned')
    }
  }

  private freeSlot(reserved: ReservedJob): void {
    this.leases?.release(reserved)
    this.inFlight.delete(reserved)
    // A slot its own acknowledgement refilled (deleteAndPop started the next job) leaves the loop nothing
    // to do: waking it cost three stop checks and an event-loop turn per job at concurrency 1.
    // acknowledge() checks the stop conditions before every such claim, and a slot it leaves empty (a
    // stop condition, --max-jobs, an empty queue) wakes the loop as before. With Queue.looping()
    // listeners the loop still turns after every job, so they hear Looping as often as they did.
    if (this.inFlight.size + this.claiming < this.options.concurrency || this.signal || this.app.make('events').hasListeners(Looping)) this.wakeUp()
  }

  /** Sleeps, unless or until the worker is asked to stop. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined)
  }

  private freeSlots(): number {
    const taken = this.inFlight.size + this.claiming
    let free = this.options.concurrency - taken
    if (this.options.once) free = Math.min(free, 1 - this.jobsProcessed - taken)
    if (this.options.maxJobs > 0) free = Math.min(free, this.options.maxJobs - this.jobsProcessed - taken)
    return Math.max(0, free)
  }

  private async stopIfNecessary(): Promise<StopReason | null> {
    if (this.abandoned) return this.abandoned
    const now = Date.now()
    return shouldStop(this.state(now, await this.restart.current(now)), this.options)
  }

  /** stopIfNecessary() without a promise; undefined when the restart signal is due for a read (then ask that). */
  private stopReasonNow(): StopReason | null | undefined {
    if (this.abandoned) return this.abandoned
    const now = Date.now()
    const restartSignal = this.restart.cached(now)
    return restartSignal === undefined ? undefined : shouldStop(this.state(now, restartSignal), this.options)
  }

  private state(now: number, restartSignal: number | null): WorkerState {
    return {
      signal: this.signal,
      startedAt: this.startedAt,
      now,
      restartSignal,
      restartSignalAtStart: this.restartSignalAtStart,
      memoryMb: this.memoryMb(now),
      // Jobs in flight count toward --max-jobs: they were claimed and will finish before we exit.
      jobsProcessed: this.jobsProcessed + this.inFlight.size,
      queuesEmpty: this.queuesEmpty,
      loops: this.loops,
    }
  }

  /** Memory in MB, sampled at most every second: reading it costs more than a fast job. */
  private memoryMb(now: number): number {
    if (now - this.memorySampledAt >= MEMORY_SAMPLE_MS) {
      this.memorySampledAt = now
      this.lastMemoryMb = (this.settings.memoryUsage ?? defaultMemoryUsage)() / 1024 / 1024
    }
    return this.lastMemoryMb
  }

  /** Lease renewal for drivers whose reservations can be touched, every max(1, retry_after / 3) seconds. */
  private leaseKeeper(): LeaseKeeper | null {
    const retryAfter = this.retryAfter()
    if (retryAfter === null || retryAfter <= 0) return null
    return new LeaseKeeper(retryAfter, { onError: this.settings.onError, onWarning: this.settings.onWarning })
  }

  /** The driver's start-up warnings (e.g. a Redis eviction policy), bounded so an unreachable server cannot hold up the loop. */
  private async warnAtStart(driver: QueueDriver): Promise<void> {
    if (!driver.startupWarnings) return
    // An unreachable server is reported by the loop's first claim; the warning is only advice.
    const warnings = await Promise.race([driver.startupWarnings().catch(() => []), sleep(WARNINGS_WAIT_MS, [], { ref: false })])
    for (const warning of warnings) await this.settings.onWarning?.(warning)
  }

  private connectionPrefetch(): number {
    const config = this.app.make('queue').connectionConfig(this.connectionName)
    return 'prefetch' in config ? (config.prefetch ?? 0) : 0
  }

  private retryAfter(): number | null {
    const config = this.app.make('queue').connectionConfig(this.connectionName)
    return 'retry_after' in config ? config.retry_after : null
  }

  /** Every slot is busy: wait until a job finishes (or a stop is requested). */
  private async waitForSlot(): Promise<void> {
    if (!this.signal) await new Promise<void>((resolve) => (this.slotFreed = resolve))
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

  /** A job finished or a stop was requested: ends waitForSlot() and waitForJobs(). */
  private wakeUp(): void {
    const resolve = this.slotFreed
    this.slotFreed = null
    resolve?.()
    if (!this.wake.signal.aborted) this.wake.abort(WAKE)
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
    const retryAfter = this.retryAfter()
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
  /** Advice that does not stop the worker (a risky server setting, a lost lease); queue:work prints it as WARN. */
  onWarning?: (message: string) => void | Promise<void>
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
/** How long the worker waits for the driver's start-up warnings before it starts claiming. */
const WARNINGS_WAIT_MS = 2000
/** An in-flight entry whose run is being started (see start()). */
const STARTING: Promise<void> = Promise.resolve()
/** The reason given to wake-up aborts (a plain value: no DOMException built per job). */
const WAKE = Symbol('wake')

function defaultMemoryUsage(): number {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

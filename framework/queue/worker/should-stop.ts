import type { WorkerOptions } from './options.ts'

/**
 * Whether the worker should stop after the current loop, and with which exit code. Pure (the clock,
 * memory and restart signal come in as state), checked in Laravel's order: a signal first, then memory,
 * a restart, an empty queue, the time and job limits, and `--once`.
 */
export function shouldStop(state: WorkerState, options: Pick<WorkerOptions, 'memory' | 'maxJobs' | 'maxTime' | 'once' | 'stopWhenEmpty'>): StopReason | null {
  if (state.signal) return { code: EXIT_SUCCESS, reason: `received ${state.signal}` }
  if (options.memory > 0 && state.memoryMb >= options.memory) return { code: EXIT_MEMORY_LIMIT, reason: `memory limit of ${options.memory} MB exceeded (${Math.round(state.memoryMb)} MB)` }
  if (state.restartSignal !== null && state.restartSignal !== state.restartSignalAtStart) return { code: EXIT_SUCCESS, reason: 'queue:restart was requested' }
  if (options.stopWhenEmpty && state.queuesEmpty) return { code: EXIT_SUCCESS, reason: 'the queues are empty' }
  if (options.maxTime > 0 && state.now - state.startedAt >= options.maxTime * 1000) return { code: EXIT_SUCCESS, reason: `ran for ${options.maxTime} seconds (--max-time)` }
  if (options.maxJobs > 0 && state.jobsProcessed >= options.maxJobs) return { code: EXIT_SUCCESS, reason: `processed ${options.maxJobs} jobs (--max-jobs)` }
  if (options.once && state.loops >= 1) return { code: EXIT_SUCCESS, reason: 'ran once (--once)' }
  return null
}

export const EXIT_SUCCESS = 0
export const EXIT_ERROR = 1
/** Laravel's code for "memory limit exceeded": supervisors can tell it apart from a crash. */
export const EXIT_MEMORY_LIMIT = 12

export interface WorkerState {
  /** A SIGTERM/SIGINT received, or null. */
  signal: string | null
  /** Milliseconds since the epoch, when the worker started. */
  startedAt: number
  now: number
  /** The `queue:restart` signal now (a time stamp), or null. */
  restartSignal: number | null
  /**
   * The signal as it was when the worker started. A restart is a *change* of the signal (as in Laravel),
   * not a comparison of clocks, so workers on machines whose clocks drift still restart exactly once.
   */
  restartSignalAtStart: number | null
  /** Resident memory of the process in MB. */
  memoryMb: number
  jobsProcessed: number
  /** True when the last look at the queues found nothing. */
  queuesEmpty: boolean
  /** Loops completed (a loop = one look at the queues and the jobs it started). */
  loops: number
}

export interface StopReason {
  code: number
  reason: string
}

import { ManuallyFailedError, MaxAttemptsExceededError } from './errors.ts'

/**
 * The one failure policy of the queue: given what happened to an attempt, acknowledge it, release it
 * for a retry after a delay, or fail it for good. Pure (the clock comes in as `now`), so every rule is a
 * row of a table test; the worker and the sync driver only carry the decision out.
 *
 * Follows Laravel's Worker: the job's own `tries` beats the worker's `--tries` (0 = unlimited);
 * `retryUntil` replaces the tries check; `maxExceptions` caps thrown errors while releases may go on;
 * backoff `[3, 5, 10]` waits 3 s after the first attempt, 5 s after the second, 10 s after every later one.
 */
export function decide(input: DecideInput): Decision {
  const { outcome } = input
  switch (outcome.kind) {
    case 'claimed':
      return hasExceededAttempts(input) ? fail('max-attempts', new MaxAttemptsExceededError(input.jobName, input.retryUntil !== null)) : { action: 'run' }
    case 'unprocessable':
      // An unknown job or a payload that cannot be read will not improve with retries.
      return fail('unprocessable', outcome.error)
    case 'success':
    case 'deleted':
      return { action: 'ack' }
    case 'released':
      // An explicit release is honoured even on the last try: the next claim fails it (Laravel does the same).
      return { action: 'release', delay: Math.max(0, outcome.delay) }
    case 'failed':
      return fail('manual', outcome.error ?? new ManuallyFailedError(input.jobName))
    case 'timeout':
      if (input.failOnTimeout) return fail('timeout', outcome.error)
      return retryOrFail(input, outcome.error, null)
    case 'error':
      if (input.maxExceptions !== null && input.maxExceptions > 0 && input.exceptions >= input.maxExceptions) return fail('max-exceptions', outcome.error)
      return retryOrFail(input, outcome.error, outcome.releasedDelay ?? null)
  }
}

/** What happened to the attempt. `claimed` asks, before running, whether the job may run at all. */
export type Outcome =
  | { kind: 'claimed' }
  | { kind: 'success' }
  | { kind: 'deleted' }
  | { kind: 'released'; delay: number }
  | { kind: 'failed'; error: Error | null }
  | { kind: 'error'; error: Error; releasedDelay?: number | null }
  | { kind: 'timeout'; error: Error }
  | { kind: 'unprocessable'; error: Error }

export interface DecideInput {
  outcome: Outcome
  /** For messages: the job's display name. */
  jobName: string
  /** Claims so far, this one included. */
  attempts: number
  /** The job's own tries (payload `maxTries`), or null to use the worker's. */
  jobTries: number | null
  /** The worker's `--tries`. */
  workerTries: number
  /** The job's own backoff, or null to use the worker's. */
  jobBackoff: number[] | null
  workerBackoff: number[]
  maxExceptions: number | null
  /** Thrown errors so far, this one included. */
  exceptions: number
  /** Unix time in seconds after which the job is not retried; replaces tries. */
  retryUntil: number | null
  failOnTimeout: boolean
  /** Milliseconds since the epoch. */
  now: number
}

export type FailReason = 'max-attempts' | 'max-exceptions' | 'retry-until' | 'timeout' | 'manual' | 'unprocessable'

export type Decision =
  | { action: 'run' }
  | { action: 'ack' }
  | { action: 'release'; delay: number }
  | { action: 'fail'; reason: FailReason; error: Error }

/** The tries in force: the job's own, else the worker's; 0 means unlimited. */
export function effectiveTries(input: Pick<DecideInput, 'jobTries' | 'workerTries'>): number {
  return input.jobTries ?? input.workerTries
}

/** Seconds to wait before retry number `attempts + 1`: `backoff[attempts - 1]`, the last value repeating. */
export function backoffDelay(backoff: number[], attempts: number): number {
  if (backoff.length === 0) return 0
  return Math.max(0, backoff[Math.min(Math.max(attempts, 1), backoff.length) - 1] ?? 0)
}

function retryOrFail(input: DecideInput, error: Error, releasedDelay: number | null): Decision {
  if (input.retryUntil !== null) {
    if (input.now >= input.retryUntil * 1000) return fail('retry-until', error)
  } else {
    const tries = effectiveTries(input)
    if (tries > 0 && input.attempts >= tries) return fail('max-attempts', error)
  }
  const delay = releasedDelay ?? backoffDelay(input.jobBackoff ?? input.workerBackoff, input.attempts)
  return { action: 'release', delay }
}

/** Before running: has this claim already gone past what the job allows? */
function hasExceededAttempts(input: DecideInput): boolean {
  if (input.retryUntil !== null) return input.now > input.retryUntil * 1000
  const tries = effectiveTries(input)
  return tries > 0 && input.attempts > tries
}

function fail(reason: FailReason, error: Error): Decision {
  return { action: 'fail', reason, error }
}

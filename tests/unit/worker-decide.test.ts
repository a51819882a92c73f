import { describe, expect, it } from 'vitest'
import { backoffDelay, decide, type DecideInput, type Decision, type Outcome } from '../../framework/queue/worker/decide.ts'

const NOW = Date.UTC(2026, 10, 23, 18, 0, 0)
const boom = new Error('boom')

function input(outcome: Outcome, overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    outcome,
    jobName: 'SendWelcomeEmail',
    attempts: 1,
    jobTries: null,
    workerTries: 1,
    jobBackoff: null,
    workerBackoff: [0],
    maxExceptions: null,
    exceptions: 0,
    retryUntil: null,
    failOnTimeout: false,
    now: NOW,
    ...overrides,
  }
}

type Row = [string, DecideInput, Decision['action'], (number | string)?]

const error: Outcome = { kind: 'error', error: boom }
const timeout: Outcome = { kind: 'timeout', error: new Error('timed out') }

const rows: Row[] = [
  ['success acknowledges', input({ kind: 'success' }), 'ack'],
  ['this.delete() acknowledges', input({ kind: 'deleted' }), 'ack'],
  ['this.release(5) releases with that delay', input({ kind: 'released', delay: 5 }), 'release', 5],
  ['this.release() on the last try still releases (the next claim fails it)', input({ kind: 'released', delay: 0 }, { attempts: 3, jobTries: 3 }), 'release', 0],
  ['this.fail() fails at once', input({ kind: 'failed', error: null }, { workerTries: 5 }), 'fail', 'manual'],
  ['an error on the last of 1 try fails', input(error, { exceptions: 1 }), 'fail', 'max-attempts'],
  ['an error with tries left releases', input(error, { workerTries: 3, exceptions: 1 }), 'release', 0],
  ["the job's tries beat the worker's", input(error, { workerTries: 1, jobTries: 3, exceptions: 1 }), 'release', 0],
  ["the job's tries beat the worker's (fewer)", input(error, { workerTries: 5, jobTries: 2, attempts: 2, exceptions: 2 }), 'fail', 'max-attempts'],
  ['tries 0 means unlimited', input(error, { workerTries: 0, attempts: 500, exceptions: 500 }), 'release', 0],
  ['backoff from the worker', input(error, { workerTries: 3, workerBackoff: [7], exceptions: 1 }), 'release', 7],
  ['backoff array by attempt', input(error, { jobTries: 5, jobBackoff: [3, 5, 10], attempts: 2, exceptions: 2 }), 'release', 5],
  ['backoff array: the last value repeats', input(error, { jobTries: 9, jobBackoff: [3, 5, 10], attempts: 6, exceptions: 6 }), 'release', 10],
  ["the job's backoff beats the worker's", input(error, { jobTries: 3, jobBackoff: [2], workerBackoff: [30], exceptions: 1 }), 'release', 2],
  ['a release before the throw keeps its delay', input({ kind: 'error', error: boom, releasedDelay: 42 }, { workerTries: 3, exceptions: 1 }), 'release', 42],
  ['maxExceptions reached fails although tries remain', input(error, { jobTries: 10, attempts: 2, maxExceptions: 2, exceptions: 2 }), 'fail', 'max-exceptions'],
  ['maxExceptions not reached releases', input(error, { jobTries: 10, attempts: 2, maxExceptions: 3, exceptions: 2 }), 'release', 0],
  ['retryUntil in the future wins over tries', input(error, { jobTries: 1, attempts: 4, retryUntil: NOW / 1000 + 60, exceptions: 4 }), 'release', 0],
  ['retryUntil passed fails', input(error, { jobTries: 10, retryUntil: NOW / 1000 - 1, exceptions: 1 }), 'fail', 'retry-until'],
  ['a timeout with tries left releases', input(timeout, { jobTries: 2 }), 'release', 0],
  ['a timeout on the last try fails', input(timeout, { jobTries: 2, attempts: 2 }), 'fail', 'max-attempts'],
  ['a timeout with failOnTimeout fails at once', input(timeout, { jobTries: 5, failOnTimeout: true }), 'fail', 'timeout'],
  ['a timeout does not count toward maxExceptions', input(timeout, { jobTries: 5, maxExceptions: 1, exceptions: 1 }), 'release', 0],
  ['an unknown job fails on its first attempt', input({ kind: 'unprocessable', error: boom }, { workerTries: 5 }), 'fail', 'unprocessable'],
  ['a claim within tries runs', input({ kind: 'claimed' }, { attempts: 3, jobTries: 3 }), 'run'],
  ['a claim beyond tries (a crashed attempt) fails', input({ kind: 'claimed' }, { attempts: 4, jobTries: 3 }), 'fail', 'max-attempts'],
  ['a claim beyond the worker tries fails', input({ kind: 'claimed' }, { attempts: 2 }), 'fail', 'max-attempts'],
  ['a claim with unlimited tries runs', input({ kind: 'claimed' }, { attempts: 99, workerTries: 0 }), 'run'],
  ['a claim beyond tries but before retryUntil runs', input({ kind: 'claimed' }, { attempts: 9, jobTries: 1, retryUntil: NOW / 1000 + 1 }), 'run'],
  ['a claim after retryUntil fails', input({ kind: 'claimed' }, { attempts: 1, retryUntil: NOW / 1000 - 1 }), 'fail', 'max-attempts'],
]

describe('decide()', () => {
  it.each(rows)('%s', (_name, row, action, detail) => {
    const decision = decide(row)
    expect(decision.action).toBe(action)
    if (decision.action === 'release') expect(decision.delay).toBe(detail)
    if (decision.action === 'fail') expect(decision.reason).toBe(detail)
  })

  it('fails with the thrown error so failed_jobs shows it', () => {
    const decision = decide(input(error, { exceptions: 1 }))
    expect(decision).toMatchObject({ action: 'fail', error: boom })
  })

  it('names the job in "attempted too many times" with a stable code', () => {
    const decision = decide(input({ kind: 'claimed' }, { attempts: 2 }))
    if (decision.action !== 'fail') throw new Error('expected a failure')
    expect(decision.error).toMatchObject({ code: 'E_MAX_ATTEMPTS_EXCEEDED' })
    expect(decision.error.message).toContain('SendWelcomeEmail has been attempted too many times')
  })

  it('gives this.fail() without an error a readable one', () => {
    const decision = decide(input({ kind: 'failed', error: null }))
    expect(decision).toMatchObject({ action: 'fail', error: { code: 'E_JOB_MANUALLY_FAILED' } })
  })
})

describe('backoffDelay()', () => {
  it.each([
    [[], 1, 0],
    [[4], 1, 4],
    [[4], 9, 4],
    [[1, 2, 3], 1, 1],
    [[1, 2, 3], 3, 3],
    [[1, 2, 3], 4, 3],
  ])('backoff %j after attempt %i waits %i s', (backoff, attempts, expected) => {
    expect(backoffDelay(backoff, attempts)).toBe(expected)
  })
})

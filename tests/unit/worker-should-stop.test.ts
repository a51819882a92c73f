import { describe, expect, it } from 'vitest'
import { workerOptions, type WorkerOptions } from '../../framework/queue/worker/options.ts'
import { shouldStop, type WorkerState } from '../../framework/queue/worker/should-stop.ts'

const START = Date.UTC(2026, 10, 23, 18, 0, 0)

function state(overrides: Partial<WorkerState> = {}): WorkerState {
  return { signal: null, startedAt: START, now: START + 1000, restartSignal: null, restartSignalAtStart: null, memoryMb: 40, jobsProcessed: 0, queuesEmpty: false, loops: 1, ...overrides }
}

type Row = [string, Partial<WorkerState>, Partial<WorkerOptions>, number | null]

const rows: Row[] = [
  ['keeps going by default', {}, {}, null],
  ['stops on SIGTERM with 0', { signal: 'SIGTERM' }, {}, 0],
  ['stops on SIGINT with 0', { signal: 'SIGINT' }, {}, 0],
  ['stops with 12 when memory is exceeded', { memoryMb: 200 }, { memory: 128 }, 12],
  ['keeps going under the memory limit', { memoryMb: 100 }, { memory: 128 }, null],
  ['stops on a restart signal given after its start', { restartSignalAtStart: null, restartSignal: START + 500 }, {}, 0],
  ['stops when the signal changed since its start', { restartSignalAtStart: START - 9000, restartSignal: START - 5000 }, {}, 0],
  ['ignores a restart signal given before its start', { restartSignalAtStart: START - 500, restartSignal: START - 500 }, {}, null],
  ['stops when empty with --stop-when-empty', { queuesEmpty: true }, { stopWhenEmpty: true }, 0],
  ['keeps waiting when empty without --stop-when-empty', { queuesEmpty: true }, {}, null],
  ['keeps going while jobs remain with --stop-when-empty', { queuesEmpty: false }, { stopWhenEmpty: true }, null],
  ['stops after --max-time', { now: START + 10_000 }, { maxTime: 10 }, 0],
  ['keeps going before --max-time', { now: START + 9_000 }, { maxTime: 10 }, null],
  ['stops after --max-jobs', { jobsProcessed: 5 }, { maxJobs: 5 }, 0],
  ['keeps going before --max-jobs', { jobsProcessed: 4 }, { maxJobs: 5 }, null],
  ['stops after one loop with --once', { loops: 1, queuesEmpty: true }, { once: true }, 0],
  ['a signal wins over the memory limit', { signal: 'SIGTERM', memoryMb: 999 }, { memory: 128 }, 0],
]

describe('shouldStop()', () => {
  it.each(rows)('%s', (_name, s, o, code) => {
    const stop = shouldStop(state(s), workerOptions(o))
    expect(stop?.code ?? null).toBe(code)
    if (stop) expect(stop.reason).not.toBe('')
  })
})

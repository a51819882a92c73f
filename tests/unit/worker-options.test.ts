import { describe, expect, it } from 'vitest'
import { defaultWorkerOptions, workerOptions } from '../../framework/queue/worker/options.ts'

describe('workerOptions()', () => {
  it("has Laravel's defaults", () => {
    expect(workerOptions()).toMatchObject({ tries: 1, timeout: 60, sleep: 3, memory: 128, backoff: [0], concurrency: 1, once: false, stopWhenEmpty: false })
  })

  it('applies overrides and keeps defaults for undefined ones', () => {
    const options = workerOptions({ tries: 3, timeout: undefined, queues: ['high', 'default'] })
    expect(options.tries).toBe(3)
    expect(options.timeout).toBe(60)
    expect(options.queues).toEqual(['high', 'default'])
  })

  it('never shares arrays with the defaults', () => {
    const options = workerOptions()
    options.backoff.push(9)
    expect(defaultWorkerOptions.backoff).toEqual([0])
  })

  it('keeps concurrency at least 1 and backoff non-empty', () => {
    expect(workerOptions({ concurrency: 0, backoff: [] })).toMatchObject({ concurrency: 1, backoff: [0] })
  })
})

/**
 * Found by soak scenario 12: a job carrying an own `constructor` data property (as data built from
 * untrusted JSON can) was dispatched under no job name at all (the name was read from
 * `job.constructor`), so every worker failed it as E_MALFORMED_PAYLOAD. The name comes from the class.
 */
import { describe, expect, it } from 'vitest'
import { QueuedJob, jobNameOf } from '../../framework/queue/job.ts'
import { decodePayload, encodeJob, hydrateJobClass } from '../../framework/queue/payload-codec.ts'

class Probe extends QueuedJob {
  constructor(public key: string) {
    super()
  }
  handle() {}
}

describe('a job with its own `constructor` data property', () => {
  it('is dispatched under its class name and rebuilt as that class, polluting nothing', () => {
    const job = new Probe('x')
    Object.defineProperty(job, 'constructor', { value: { prototype: { polluted: 'yes' } }, enumerable: true, configurable: true, writable: true })
    expect(jobNameOf(job)).toBe('Probe')
    const payload = decodePayload(encodeJob(job, {}, { signer: null, encrypter: null }).payload)
    expect(payload).toMatchObject({ job: 'Probe', displayName: 'Probe' })
    const rebuilt = hydrateJobClass(Probe, payload)
    expect(rebuilt).toBeInstanceOf(Probe)
    expect(rebuilt.constructor).toBe(Probe)
    expect(rebuilt.key).toBe('x')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

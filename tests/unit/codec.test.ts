import { describe, expect, it } from 'vitest'
import { Job, QueuedJob } from '../../framework/queue/job.ts'
import { decodePayload, encodeJob, hydrateJob, hydrateJobClass, plainPayloadJson } from '../../framework/queue/payload-codec.ts'
import type { JobPayload } from '../../framework/queue/contracts.ts'
import { JobRegistry } from '../../framework/queue/registry.ts'
import type { KilnError } from '../../framework/support/errors.ts'

class Carrier extends QueuedJob {
  override tries = 4
  override backoff = 7
  override timeout = 30
  override queue = 'emails'

  constructor(public data: unknown) {
    super()
  }

  handle() {}
}

class Deadline extends Job {
  override retryUntil() {
    return new Date('2030-01-01T00:00:00Z')
  }

  handle() {}
}

const registry = new JobRegistry().register(Carrier).register(Deadline)

function roundTrip<T>(value: T): unknown {
  const { payload } = encodeJob(new Carrier(value))
  return (hydrateJob(decodePayload(payload), registry) as Carrier).data
}

function refusal(value: unknown): KilnError & { path: string } {
  try {
    encodeJob(new Carrier(value))
  } catch (error) {
    return error as KilnError & { path: string }
  }
  throw new Error('encodeJob accepted the value')
}

describe('payload codec: what survives the trip', () => {
  it('round-trips strings, numbers, booleans, null, arrays, plain objects and Dates', () => {
    const value = {
      s: 'héllo "quoted"',
      n: -12.5,
      zero: 0,
      yes: true,
      no: false,
      nothing: null,
      list: [1, 'two', [3], { four: 4 }],
      nested: { when: new Date('2025-03-04T05:06:07.890Z'), deeper: { x: 1 } },
    }
    const back = roundTrip(value) as typeof value
    expect(back).toEqual(value)
    expect(back.nested.when).toBeInstanceOf(Date)
    expect(back.nested.when.toISOString()).toBe('2025-03-04T05:06:07.890Z')
  })

  it('round-trips bigints and objects that happen to use the tag key', () => {
    expect(roundTrip(12345678901234567890n)).toBe(12345678901234567890n)
    expect(roundTrip({ $kiln: 'date', value: 'not a date' })).toEqual({ $kiln: 'date', value: 'not a date' })
  })

  it('drops undefined object properties, as JSON does, and keeps shared (non-circular) references', () => {
    const shared = { id: 1 }
    expect(roundTrip({ a: undefined, b: 1 })).toEqual({ b: 1 })
    expect(roundTrip({ left: shared, right: shared })).toEqual({ left: { id: 1 }, right: { id: 1 } })
  })

  it('writes the payload fields, with settings normalized and not repeated in data', () => {
    const { payload, uuid } = encodeJob(new Carrier('x'))
    const decoded = decodePayload(payload)
    expect(decoded).toMatchObject({ uuid, job: 'Carrier', displayName: 'Carrier', maxTries: 4, backoff: [7], timeout: 30, retryUntil: null, failOnTimeout: false, maxExceptions: null })
    expect(typeof decoded.pushedAt).toBe('number')
    expect(decoded.data).toEqual({ data: 'x' })
    expect(decodePayload(encodeJob(new Deadline()).payload).retryUntil).toBe(Date.UTC(2030, 0, 1) / 1000)
  })

  it('restores settings from the payload on the rebuilt job without running its constructor', () => {
    const job = hydrateJob(decodePayload(encodeJob(new Carrier({ id: 3 })).payload), registry) as Carrier
    expect(job).toBeInstanceOf(Carrier)
    expect(job.tries).toBe(4)
    expect(job.backoff).toEqual([7])
    expect(job.attempts()).toBe(1)
  })
})

describe('payload codec: refused at dispatch, naming the property', () => {
  it.each([
    ['a function', { user: { notify: () => undefined } }, 'data.user.notify'],
    ['a symbol', { tag: Symbol('x') }, 'data.tag'],
    ['a class instance without a codec', { user: { socket: new (class Socket {})() } }, 'data.user.socket'],
    ['a Map', { lookup: new Map() }, 'data.lookup'],
    ['undefined inside an array', { list: [1, undefined] }, 'data.list[1]'],
    ['NaN', { ratio: Number.NaN }, 'data.ratio'],
    ['an invalid Date', { at: new Date('nope') }, 'data.at'],
    ['an odd key', { 'first name': () => 1 }, 'data["first name"]'],
  ])('%s', (_label, value, path) => {
    const error = refusal(value)
    expect(error.code).toBe('E_UNSERIALIZABLE_JOB_DATA')
    expect(error.path).toBe(path)
    expect(error.message).toContain(path)
  })

  it('a circular structure', () => {
    const user: Record<string, unknown> = { name: 'a' }
    user.self = user
    const error = refusal({ user })
    expect(error.code).toBe('E_UNSERIALIZABLE_JOB_DATA')
    expect(error.path).toBe('data.user.self')
  })

  it('a function-valued property of the job itself', () => {
    class WithCallback extends QueuedJob {
      callback = () => 1
      handle() {}
    }
    expect(() => encodeJob(new WithCallback())).toThrow(expect.objectContaining({ code: 'E_UNSERIALIZABLE_JOB_DATA', path: 'callback' }))
  })
})

describe('payload codec: hostile payloads', () => {
  const raw = (data: string) => `{"uuid":"u-1","job":"Carrier","displayName":"Carrier","data":${data},"maxTries":null,"maxExceptions":null,"backoff":null,"timeout":null,"retryUntil":null,"failOnTimeout":false,"pushedAt":1}`

  it('never lets __proto__, constructor or prototype keys reach a prototype', () => {
    const payload = decodePayload(raw('{"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":[{"__proto__":{"polluted":true}}]},"__proto__":{"polluted":true}}'))
    const job = hydrateJob(payload, registry) as Carrier
    const data = job.data as Record<string, unknown>
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    expect((data as { polluted?: unknown }).polluted).toBeUndefined()
    expect(((data.nested as unknown[])[0] as { polluted?: unknown }).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(job)).toBe(Carrier.prototype)
    expect(job.constructor).toBe(Carrier)
    expect((job as unknown as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it('ignores data keys that would shadow the class (handle, job, settings)', () => {
    const job = hydrateJob(decodePayload(raw('{"handle":1,"job":2,"tries":99,"data":"ok"}')), registry) as Carrier
    expect(typeof job.handle).toBe('function')
    expect(job.tries).toBeUndefined()
    expect(job.data).toBe('ok')
  })

  it.each([
    ['not JSON', '{"job":', /not valid JSON/],
    ['not an object', '[1,2]', /JSON object, got an array/],
    ['no job name', '{"uuid":"u","data":{}}', /"job" must be a non-empty string/],
    ['an empty job name', '{"uuid":"u","job":"  ","data":{}}', /"job" must be a non-empty string/],
    ['no uuid', '{"job":"Carrier","data":{}}', /"uuid"/],
    ['no data', '{"uuid":"u","job":"Carrier"}', /"data" is missing/],
    ['a string where a number belongs', '{"uuid":"u","job":"Carrier","data":{},"maxTries":"3"}', /"maxTries" must be a number/],
    ['a bad backoff', '{"uuid":"u","job":"Carrier","data":{},"backoff":["x"]}', /"backoff" must be an array of numbers/],
    ['a bad failOnTimeout', '{"uuid":"u","job":"Carrier","data":{},"failOnTimeout":"yes"}', /"failOnTimeout" must be a boolean/],
  ])('rejects a payload with %s, naming the defect', (_label, text, message) => {
    expect(() => decodePayload(text)).toThrow(expect.objectContaining({ code: 'E_MALFORMED_PAYLOAD', message: expect.stringMatching(message) }))
  })

  it('rejects data tagged with an unknown codec', () => {
    expect(() => hydrateJob(decodePayload(raw('{"x":{"$kiln":"evil","value":1}}')), registry)).toThrow(expect.objectContaining({ code: 'E_MALFORMED_PAYLOAD' }))
  })

  it('hydrates into a given class (what Queue.fake uses)', () => {
    const job = hydrateJobClass(Carrier, decodePayload(encodeJob(new Carrier([1])).payload))
    expect(job.data).toEqual([1])
  })
})

describe('payload codec: the fast payload writer', () => {
  const base = (): JobPayload => JSON.parse(encodeJob(new Carrier({ a: 1 }), {}, { signer: null, encrypter: null }).payload) as JobPayload

  it('writes exactly what JSON.stringify writes', () => {
    const variants: Partial<JobPayload>[] = [
      {},
      { maxTries: null, backoff: null, timeout: -0, retryUntil: Number.NaN, pushedAt: Number.POSITIVE_INFINITY },
      { backoff: [1, 5, 10], failOnTimeout: true, maxExceptions: 3 },
      { job: 'App"Job\\\u2028', displayName: 'Other \n name', data: { nested: ['é', null, { x: '"' }] } },
    ]
    for (const variant of variants) {
      const payload = { ...base(), ...variant }
      expect(plainPayloadJson(payload)).toBe(JSON.stringify(payload))
    }
  })

  it('declines a payload with a field it does not know, or a setting of an odd type', () => {
    expect(plainPayloadJson({ ...base(), extra: 1 } as JobPayload)).toBeUndefined()
    expect(plainPayloadJson({ ...base(), timeout: '30' } as unknown as JobPayload)).toBeUndefined()
  })
})

/**
 * Jobs to JSON and back. A job's data (its own enumerable properties minus settings) is checked when
 * it is dispatched, so a value that cannot reach a worker (a function, a socket, a cycle) fails there,
 * naming the property, instead of on the worker later. Decoding never imports anything a payload
 * names and never lets payload keys reach an object's prototype.
 *
 * Data encoding: JSON values pass through; values JSON cannot carry become tagged objects
 * `{"$kiln": "<codec>", "value": ...}` (Dates, bigints, and codecs registered with registerDataCodec);
 * a plain object that itself has a `$kiln` key is wrapped as `{"$kiln": "object", "value": {...}}`.
 */
import { randomUUID } from 'node:crypto'
import type { JobPayload } from './contracts.ts'
import { MalformedPayloadError, UnserializableJobDataError } from './errors.ts'
import { JOB_SETTING_KEYS, jobNameOf, type Job, type JobClass } from './job.ts'
import type { JobRegistry } from './registry.ts'
import { readJobData, sealPayload, type PayloadSecurity } from './payload-security.ts'

/** Payload settings used when the job does not set its own. */
export type PayloadDefaults = Partial<Pick<JobPayload, 'maxTries' | 'maxExceptions' | 'backoff' | 'timeout' | 'retryUntil' | 'failOnTimeout'>>

/** Teaches the codec one class of values: how to spot it, write it as JSON data, and read it back. */
export interface DataCodec<T = unknown> {
  /** Stored in the payload; keep it stable. */
  name: string
  test(value: unknown): value is T
  encode(value: T): unknown
  decode(data: unknown): T
}

const TAG = '$kiln'
const SETTINGS: ReadonlySet<string> = new Set<string>(JOB_SETTING_KEYS)
const codecs = new Map<string, DataCodec>()

export function registerDataCodec<T>(codec: DataCodec<T>): void {
  if (codec.name === 'object') throw new Error('The codec name "object" is reserved.')
  codecs.set(codec.name, codec as DataCodec)
}

registerDataCodec<Date>({
  name: 'date',
  test: (value): value is Date => value instanceof Date,
  encode: (value) => {
    if (Number.isNaN(value.getTime())) throw new Unserializable('is an invalid Date')
    return value.toISOString()
  },
  decode: (data) => new Date(String(data)),
})

registerDataCodec<bigint>({
  name: 'bigint',
  test: (value): value is bigint => typeof value === 'bigint',
  encode: (value) => value.toString(),
  decode: (data) => BigInt(String(data)),
})

/**
 * Serializes a job; throws E_UNSERIALIZABLE_JOB_DATA naming the first property that cannot travel.
 * The payload is signed, and an encrypted job's data encrypted, with `security` (default: the running
 * application's APP_KEY; see payload-security.ts).
 */
export function encodeJob(job: Job, defaults: PayloadDefaults = {}, security?: PayloadSecurity): { payload: string; uuid: string } {
  const name = jobNameOf(job)
  const uuid = randomUUID()
  const retryUntil = typeof job.retryUntil === 'function' ? Math.floor(job.retryUntil().getTime() / 1000) : null
  const payload: JobPayload = {
    uuid,
    displayName: name,
    job: name,
    maxTries: job.tries ?? defaults.maxTries ?? null,
    maxExceptions: job.maxExceptions ?? defaults.maxExceptions ?? null,
    backoff: normalizeBackoff(job.backoff) ?? defaults.backoff ?? null,
    timeout: job.timeout ?? defaults.timeout ?? null,
    retryUntil: retryUntil ?? defaults.retryUntil ?? null,
    failOnTimeout: job.failOnTimeout ?? defaults.failOnTimeout ?? false,
    pushedAt: Date.now(),
    data: encodeData(name, jobData(job)),
  }
  return { payload: sealPayload(payload, job, security), uuid }
}

/**
 * JSON.stringify(payload), byte for byte, for a payload exactly as encodeJob builds it (its eleven
 * fields in that order, nothing added): written field by field, which takes about half the time of the
 * generic serializer (this runs once per dispatched job). Undefined when a setting is not a plain
 * null, boolean, finite number or array (a job's own odd value): the caller then uses JSON.stringify.
 */
export function plainPayloadJson(payload: JobPayload): string | undefined {
  // A field this writer does not know (one added to the payload later) must not be dropped.
  if (!onlyKnownFields(payload as unknown as Record<string, unknown>)) return undefined
  const tries = simpleJson(payload.maxTries)
  const exceptions = simpleJson(payload.maxExceptions)
  const backoff = payload.backoff === null ? 'null' : Array.isArray(payload.backoff) ? JSON.stringify(payload.backoff) : undefined
  const timeout = simpleJson(payload.timeout)
  const retryUntil = simpleJson(payload.retryUntil)
  const failOnTimeout = simpleJson(payload.failOnTimeout)
  const pushedAt = simpleJson(payload.pushedAt)
  if (tries === undefined || exceptions === undefined || backoff === undefined || timeout === undefined || retryUntil === undefined) return undefined
  if (failOnTimeout === undefined || pushedAt === undefined || payload.data === undefined) return undefined
  if (typeof payload.uuid !== 'string' || typeof payload.job !== 'string' || typeof payload.displayName !== 'string') return undefined
  const job = JSON.stringify(payload.job)
  const displayName = payload.displayName === payload.job ? job : JSON.stringify(payload.displayName)
  return (
    `{"uuid":${JSON.stringify(payload.uuid)},"displayName":${displayName},"job":${job}` +
    `,"maxTries":${tries},"maxExceptions":${exceptions},"backoff":${backoff},"timeout":${timeout},"retryUntil":${retryUntil}` +
    `,"failOnTimeout":${failOnTimeout},"pushedAt":${pushedAt},"data":${JSON.stringify(payload.data)}}`
  )
}

/** What JSON.stringify writes for null, a boolean or a number; undefined for anything else. */
function simpleJson(value: unknown): string | undefined {
  if (value === null) return 'null'
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return undefined
}

/** The job's own data: enumerable own properties minus settings. */
export function jobData(job: Job): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  for (const key of Object.keys(job)) if (!SETTINGS.has(key)) data[key] = (job as unknown as Record<string, unknown>)[key]
  return data
}

/** Parses and checks a stored payload; throws E_MALFORMED_PAYLOAD naming the defect. */
export function decodePayload(raw: string): JobPayload {
  return payloadFromFields(parsePayloadFields(raw))
}

/** The stored JSON parsed as an object (as signed), before any field is checked; throws E_MALFORMED_PAYLOAD. */
export function parsePayloadFields(raw: string): Record<string, unknown> {
  if (typeof raw !== 'string') throw new MalformedPayloadError(`expected a JSON string, got ${typeof raw}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    throw new MalformedPayloadError(`it is not valid JSON (${(error as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedPayloadError(`expected a JSON object, got ${describe(parsed)}`)
  return parsed as Record<string, unknown>
}

/** Checks the fields of a parsed payload; throws E_MALFORMED_PAYLOAD naming the defect. */
export function payloadFromFields(fields: Record<string, unknown>): JobPayload {
  if (typeof fields.job !== 'string' || fields.job.trim() === '') throw new MalformedPayloadError('"job" must be a non-empty string (the registered job name)')
  if (typeof fields.uuid !== 'string' || fields.uuid === '') throw new MalformedPayloadError('"uuid" must be a non-empty string')
  if (!('data' in fields)) throw new MalformedPayloadError('"data" is missing')
  const payload: JobPayload = {
    uuid: fields.uuid,
    job: fields.job,
    displayName: optional(fields, 'displayName', 'string') ?? fields.job,
    data: fields.data,
    maxTries: numberOrNull(fields, 'maxTries'),
    maxExceptions: numberOrNull(fields, 'maxExceptions'),
    backoff: backoffField(fields.backoff),
    timeout: numberOrNull(fields, 'timeout'),
    retryUntil: numberOrNull(fields, 'retryUntil'),
    failOnTimeout: optional(fields, 'failOnTimeout', 'boolean') ?? false,
    pushedAt: numberOrNull(fields, 'pushedAt') ?? 0,
  }
  // Fields added by later modules (chain, batch) pass through; defined, not assigned, so no key reaches a prototype.
  // The usual payload has exactly the known fields (counted first): nothing to carry over.
  if (onlyKnownFields(fields)) return payload
  for (const [key, value] of Object.entries(fields)) {
    if (!(key in payload) && key !== '__proto__') Object.defineProperty(payload, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return payload
}

/** The fields a payload always has, as encodeJob and payloadFromFields build it. */
const KNOWN_FIELDS = ['uuid', 'job', 'displayName', 'data', 'maxTries', 'maxExceptions', 'backoff', 'timeout', 'retryUntil', 'failOnTimeout', 'pushedAt'] as const

/** Whether `fields` has every known field as its own and no other own key. */
function onlyKnownFields(fields: Record<string, unknown>): boolean {
  let own = 0
  for (const key in fields) if (Object.hasOwn(fields, key) && ++own > KNOWN_FIELDS.length) return false
  if (own !== KNOWN_FIELDS.length) return false
  for (const key of KNOWN_FIELDS) if (!Object.hasOwn(fields, key)) return false
  return true
}

/** Rebuilds the job a payload describes, from the registry only. Throws E_UNKNOWN_JOB for other names. */
export function hydrateJob(payload: JobPayload, registry: Pick<JobRegistry, 'resolve'>): Job {
  return hydrateJobClass(registry.resolve(payload.job), payload)
}

/**
 * Builds an instance of `cls` without running its constructor (its arguments are gone; the data is
 * what they produced), then restores the data and the payload's settings.
 */
export function hydrateJobClass<T extends Job>(cls: JobClass<T>, payload: JobPayload): T {
  const job = Object.create(cls.prototype as object) as T
  const raw = readJobData(payload)
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !Object.hasOwn(raw, TAG)) {
    // Untagged plain data (the usual case): each value is decoded straight onto the job, without the
    // intermediate object decodeObject would build, and with its guard (a `__proto__` key is dropped).
    // Every value is decoded, as before, even one whose key names a class member and is then skipped.
    for (const [key, item] of Object.entries(raw)) {
      if (key === '__proto__') continue
      const value = decodeItem(item, 'data', key)
      if (!isMember(job, key)) define(job, key, value)
    }
  } else {
    const data = decodeData(raw, 'data')
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new MalformedPayloadError('"data" must be an object of job properties')
    for (const [key, value] of Object.entries(data)) if (!isMember(job, key)) define(job, key, value)
  }
  if (payload.maxTries !== null) define(job, 'tries', payload.maxTries)
  if (payload.backoff !== null) define(job, 'backoff', payload.backoff)
  if (payload.timeout !== null) define(job, 'timeout', payload.timeout)
  if (payload.maxExceptions !== null) define(job, 'maxExceptions', payload.maxExceptions)
  if (payload.failOnTimeout) define(job, 'failOnTimeout', true)
  return job
}

/** Keys that name a setting or something on the class (handle, job, constructor...) are not data. */
function isMember(job: Job, key: string): boolean {
  return SETTINGS.has(key) || key in job
}

/** A property's value decoded; a JSON primitive is returned as is (its path, for errors, is never built). */
function decodeItem(item: unknown, path: string, key: string): unknown {
  return typeof item === 'object' && item !== null ? decodeData(item, join(path, key)) : item
}

/** A job's backoff as the payload stores it: seconds per retry, or null. */
export function normalizeBackoff(backoff: number | number[] | undefined): number[] | null {
  if (backoff === undefined) return null
  return (Array.isArray(backoff) ? backoff : [backoff]).map((value) => Math.max(0, Number(value)))
}

// --- data encoding -------------------------------------------------------------------------------

class Unserializable extends Error {}

function encodeData(jobName: string, data: Record<string, unknown>): unknown {
  const ancestors = new Set<object>()
  const walk = (value: unknown, path: string): unknown => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value
      case 'number':
        if (!Number.isFinite(value)) throw new UnserializableJobDataError(jobName, path, `is ${value}, which JSON cannot carry`)
        return value
      case 'undefined':
        throw new UnserializableJobDataError(jobName, path, 'is undefined inside an array')
      case 'function':
        throw new UnserializableJobDataError(jobName, path, 'is a function (closures cannot cross to a worker process)')
      case 'symbol':
        throw new UnserializableJobDataError(jobName, path, 'is a symbol')
    }
    if (value === null) return null
    for (const codec of codecs.values()) {
      if (!codec.test(value)) continue
      try {
        return { [TAG]: codec.name, value: codec.encode(value) }
      } catch (error) {
        if (error instanceof Unserializable) throw new UnserializableJobDataError(jobName, path, error.message)
        throw error
      }
    }
    const object = value as object
    if (ancestors.has(object)) throw new UnserializableJobDataError(jobName, path, 'refers back to itself (a circular structure)')
    ancestors.add(object)
    try {
      if (Array.isArray(object)) {
        const out: unknown[] = []
        for (let i = 0; i < object.length; i++) out.push(walk(object[i], `${path}[${i}]`))
        return out
      }
      const proto = Object.getPrototypeOf(object) as object | null
      if (proto !== Object.prototype && proto !== null) {
        const kind = (proto as { constructor?: { name?: string } }).constructor?.name || 'an object with a custom prototype'
        throw new UnserializableJobDataError(jobName, path, `is an instance of ${kind}, which has no data codec (register one with registerDataCodec)`)
      }
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(object)) {
        if (item === undefined) continue // as JSON.stringify: an absent property
        if (key === '__proto__') throw new UnserializableJobDataError(jobName, join(path, key), 'is named __proto__, which cannot be restored safely')
        out[key] = walk(item, join(path, key)) // a plain assignment: no key here reaches a setter (__proto__ was refused)
      }
      return TAG in out ? { [TAG]: 'object', value: out } : out
    } finally {
      ancestors.delete(object)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue
    // Assigning is cheaper than defining; only `__proto__` would reach a setter on a plain object.
    if (key === '__proto__') define(out, key, walk(value, key))
    else out[key] = walk(value, key)
  }
  return out
}

function decodeData(value: unknown, path: string): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item, i) => decodeData(item, `${path}[${i}]`))
  const record = value as Record<string, unknown>
  if (Object.hasOwn(record, TAG)) {
    const tag = record[TAG]
    if (tag === 'object') return decodeObject(record.value, `${path}.value`)
    const codec = typeof tag === 'string' ? codecs.get(tag) : undefined
    if (!codec) throw new MalformedPayloadError(`${path} is tagged with unknown data codec ${JSON.stringify(tag)}`)
    return codec.decode(record.value)
  }
  return decodeObject(record, path)
}

function decodeObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedPayloadError(`${path} must be an object`)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__') continue // never let payload data choose a prototype
    define(out, key, decodeItem(item, path, key))
  }
  return out
}

/** Sets an own data property without invoking setters (a `__proto__` or `constructor` key stays inert). */
function define(target: object, key: string, value: unknown): void {
  // With nothing named `key` on the object or its prototypes (no setter to run, no __proto__ to set), an
  // assignment makes the same own data property as defineProperty, in a fraction of its time.
  if (key !== '__proto__' && !(key in target)) (target as Record<string, unknown>)[key] = value
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

function join(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

function optional<T extends 'string' | 'boolean'>(fields: Record<string, unknown>, key: string, type: T): (T extends 'string' ? string : boolean) | undefined {
  const value = fields[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== type) throw new MalformedPayloadError(`"${key}" must be a ${type}, got ${describe(value)}`)
  return value as T extends 'string' ? string : boolean
}

function numberOrNull(fields: Record<string, unknown>, key: string): number | null {
  const value = fields[key]
  if (value === undefined || value === null) return null
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MalformedPayloadError(`"${key}" must be a number or null, got ${describe(value)}`)
  return value
}

function backoffField(value: unknown): number[] | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isFinite(value)) return [value]
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
    throw new MalformedPayloadError(`"backoff" must be an array of numbers or null, got ${JSON.stringify(value).slice(0, 60)}`)
  }
  return value as number[]
}

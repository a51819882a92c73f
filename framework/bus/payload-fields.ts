/**
 * The fields chains and batches add to a job's payload (JobPayload's index signature), read and
 * written in this one place:
 *
 * - `chained`: the jobs still to run after this one, each an encoded payload (verified again when it
 *   runs, like any payload) with the connection/queue/delay its job asked for;
 * - `chainConnection`, `chainQueue`: where those jobs go when they name no connection/queue of their own;
 * - `chainCatch`: the job dispatched when a link of the chain fails for good;
 * - `batchId`: the batch this job is counted in;
 * - `batchCallbackOf`: a then/catch/finally job's batch (it reports on the batch, it is not counted in it);
 * - `failure`: for a chain or batch catch job, the failure that triggered it.
 */
import type { Application } from '../foundation/application.ts'
import type { JobPayload } from '../queue/contracts.ts'
import { parsePayloadFields } from '../queue/payload-codec.ts'
import { payloadSecurityOf, resealPayload } from '../queue/payload-security.ts'

/** One job of a chain or batch callback, encoded at dispatch so unserializable data fails there. */
export interface EncodedLink {
  payload: string
  connection: string | null
  queue: string | null
  /** Seconds (the job's own `delay` setting). */
  delay: number | null
  /** The batch this link is counted in (chains inside a batch). */
  batchId?: string | null
}

/** What a chain's or batch's catch job learns about the failure, as `this.failure()`. */
export interface BusFailure {
  /** Display name of the job that failed. */
  job: string
  uuid: string
  /** The error's class name and message (errors cannot cross processes; their text can). */
  name: string
  message: string
  batchId: string | null
}

export interface BusFields {
  chained?: EncodedLink[]
  chainConnection?: string | null
  chainQueue?: string | null
  chainCatch?: EncodedLink | null
  batchId?: string | null
  batchCallbackOf?: string | null
  failure?: BusFailure | null
}

/**
 * Sets `fields` on an encoded payload (null, undefined and empty lists remove the field) and signs the
 * result again with `app`'s key: the signature covers these fields too, so a worker trusts a chain's
 * remaining jobs and catch job only as far as it trusts the payload that carries them.
 */
export function withBusFields(app: Application, raw: string, fields: BusFields): string {
  const payload = parsePayloadFields(raw)
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) delete payload[key]
    else payload[key] = value
  }
  return resealPayload(payload, payloadSecurityOf(app))
}

const FIELD_NAMES = ['chained', 'chainConnection', 'chainQueue', 'chainCatch', 'batchId', 'batchCallbackOf', 'failure'] as const

/** Whether a decoded payload carries any chain or batch field (withBusFields never writes an empty one). */
export function hasBusFields(payload: JobPayload): boolean {
  for (const name of FIELD_NAMES) if (payload[name] !== undefined && payload[name] !== null) return true
  return false
}

/** The bus fields of a decoded payload; values of the wrong shape are ignored rather than trusted. */
export function busFields(payload: JobPayload): BusFields {
  return {
    chained: Array.isArray(payload.chained) ? payload.chained.filter(isLink) : [],
    chainConnection: stringOrNull(payload.chainConnection),
    chainQueue: stringOrNull(payload.chainQueue),
    chainCatch: isLink(payload.chainCatch) ? payload.chainCatch : null,
    batchId: stringOrNull(payload.batchId),
    batchCallbackOf: stringOrNull(payload.batchCallbackOf),
    failure: isFailure(payload.failure) ? payload.failure : null,
  }
}

export function isLink(value: unknown): value is EncodedLink {
  if (typeof value !== 'object' || value === null) return false
  const link = value as Record<string, unknown>
  return typeof link.payload === 'string' && nullableString(link.connection) && nullableString(link.queue) && (link.delay === null || typeof link.delay === 'number')
}

function isFailure(value: unknown): value is BusFailure {
  if (typeof value !== 'object' || value === null) return false
  const failure = value as Record<string, unknown>
  return typeof failure.job === 'string' && typeof failure.message === 'string' && typeof failure.name === 'string'
}

function nullableString(value: unknown): boolean {
  return value === null || value === undefined || typeof value === 'string'
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/**
 * Job payload signatures. Every payload written while APP_KEY is set carries `signature`, the last member
 * of its JSON: an HMAC of the exact JSON text stored without that member (the text up to it, closed with
 * `}`), so the job name, the data (ciphertext included), the retry limits (maxTries, maxExceptions,
 * retryUntil, timeout, backoff, failOnTimeout), the uuid and any field added by chains or batches are all
 * covered. Signing the bytes that are sent, rather than a canonical copy, keeps signing to one
 * JSON.stringify and one HMAC per dispatch (this is on every request that dispatches). A worker with
 * APP_KEY set refuses an unsigned or altered payload before the registry or any job code sees it.
 *
 * Payloads written before this scheme (and any whose text a store reformatted) carry an HMAC of their
 * canonical JSON instead (keys sorted at every level, no whitespace); verification accepts either. Both
 * are MACs, under the same key, of texts that parse to exactly the fields read, so neither can vouch for
 * other fields.
 *
 * What a signature cannot cover: the attempts counter. Drivers keep it outside the payload (a column, a
 * Redis field) because they must change it on every reservation; resetting it there grants more
 * attempts but cannot change what the job is or its limits. Raising a limit in the payload fails here.
 *
 * Without APP_KEY nothing is signed and nothing is verified (`craft about` shows the key as NOT SET):
 * that keeps a fresh checkout working, and `npm run dev` / key:generate set a key. Payloads signed by
 * another app, or by a key not in APP_PREVIOUS_KEYS, are refused.
 */
import type { Signer } from '../encryption/signer.ts'
import { InvalidSignatureError } from '../encryption/errors.ts'

export const SIGNATURE_FIELD = 'signature'

/** A stored payload as the worker sees it, for verification. */
export interface StoredPayload {
  /** The JSON text exactly as the driver returned it. */
  raw: string
  /** Its top-level `signature` and `job` members, as parsed. */
  signature: unknown
  job: unknown
  /** Its parsed top-level fields; called only for a payload signed the canonical way. */
  fields(): Record<string, unknown>
}

/**
 * The stored JSON of `payload`, signed (any old signature replaced) when `signer` has a key. `json`, when
 * given, is JSON.stringify(payload) already written by the caller (a payload without a signature).
 */
export function serializeSigned(payload: Record<string, unknown>, signer: Signer | null, json?: string): string {
  if (!signer?.canSign) return json ?? JSON.stringify(payload)
  let unsigned = payload
  if (Object.hasOwn(payload, SIGNATURE_FIELD)) {
    unsigned = { ...payload }
    delete unsigned[SIGNATURE_FIELD]
    json = undefined
  }
  const body = json ?? JSON.stringify(unsigned)
  const member = signatureMember(signer.sign(body))
  return body === '{}' ? `{${member}}` : `${body.slice(0, -1)},${member}}`
}

/**
 * Checks the signature of a stored payload. Throws E_INVALID_SIGNATURE (missing, malformed, unknown
 * key, mismatch) when `signer` has a key; does nothing without one (signing is off).
 */
export function verifyPayloadSignature(payload: StoredPayload, signer: Signer | null): void {
  if (!signer?.canSign) return
  const { signature } = payload
  const body = typeof signature === 'string' ? signedText(payload.raw, signature) : null
  if (body !== null && signer.verify(body, signature)) return
  const defect = signer.check(canonicalJson(payload.fields(), SIGNATURE_FIELD), signature)
  if (defect) throw new InvalidSignatureError(defect, `job "${typeof payload.job === 'string' ? payload.job.slice(0, 80) : '?'}"`)
}

function signatureMember(signature: string): string {
  return `"${SIGNATURE_FIELD}":${JSON.stringify(signature)}`
}

/** The text `signature` was made over when `raw` ends with it as its last member; null otherwise. */
function signedText(raw: string, signature: string): string | null {
  const member = signatureMember(signature)
  if (raw.length > member.length + 2 && raw.endsWith(`,${member}}`)) return `${raw.slice(0, raw.length - member.length - 2)}}`
  return raw === `{${member}}` ? '{}' : null
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same text for the same values,
 * whatever order or spacing a store gave them back in, and the same for a value as for its
 * JSON.parse(JSON.stringify()) round trip (undefined and functions are left out of objects and become
 * null in arrays, as JSON.stringify does). `omit` drops one top-level key. Plain data only: no toJSON.
 */
export function canonicalJson(value: unknown, omit?: string): string {
  // One pass of string concatenation: this runs for every dispatch, so no map/filter/join temporaries.
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      out += (i === 0 ? '' : ',') + (isAbsent(item) ? 'null' : canonicalJson(item))
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let out = '{'
  for (const key of keys) {
    const item = record[key]
    if (key === omit || isAbsent(item)) continue
    out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(item)
  }
  return `${out}}`
}

/** Values JSON.stringify drops from objects. */
function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

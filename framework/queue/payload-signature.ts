/**
 * Job payload signatures. Every payload written while APP_KEY is set carries `signature`: an HMAC of
 * the payload's canonical JSON without that field (keys sorted at every level, no whitespace), so the
 * job name, the data (ciphertext included), the retry limits (maxTries, maxExceptions, retryUntil,
 * timeout, backoff, failOnTimeout), the uuid and any field added by chains or batches are all covered,
 * and reformatting the JSON does not break it. A worker with APP_KEY set refuses an unsigned or altered
 * payload before the registry or any job code sees it.
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

/** The stored JSON of `payload`, with a signature appended when `signer` has a key. */
export function serializeSigned(payload: Record<string, unknown>, signer: Signer | null): string {
  if (!signer?.canSign) return JSON.stringify(payload)
  return JSON.stringify({ ...payload, [SIGNATURE_FIELD]: signer.sign(canonicalJson(payload, SIGNATURE_FIELD)) })
}

/**
 * Checks the signature of a parsed payload. Throws E_INVALID_SIGNATURE (missing, malformed, unknown
 * key, mismatch) when `signer` has a key; does nothing without one (signing is off).
 */
export function verifyPayloadSignature(fields: Record<string, unknown>, signer: Signer | null): void {
  if (!signer?.canSign) return
  const defect = signer.check(canonicalJson(fields, SIGNATURE_FIELD), Object.hasOwn(fields, SIGNATURE_FIELD) ? fields[SIGNATURE_FIELD] : undefined)
  if (defect) throw new InvalidSignatureError(defect, `job "${typeof fields.job === 'string' ? fields.job.slice(0, 80) : '?'}"`)
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same text for the same values,
 * whatever order or spacing a store gave them back in, and the same for a value as for its
 * JSON.parse(JSON.stringify()) round trip (undefined and functions are left out of objects and become
 * null in arrays, as JSON.stringify does). `omit` drops one top-level key. Plain data only: no toJSON.
 */
export function canonicalJson(value: unknown, omit?: string): string {
  if (Array.isArray(value)) return `[${value.map((item) => (isAbsent(item) ? 'null' : canonicalJson(item))).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
      .filter((key) => key !== omit && !isAbsent(record[key]))
      .sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Values JSON.stringify drops from objects. */
function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol'
}

/**
 * Where the codec and the worker meet signing, encryption and unique locks. Writing: an encrypted job's
 * data becomes ciphertext, a unique job's lock travels in the payload, and the result is signed.
 * Reading: the worker pipeline calls openJob(), which verifies the signature before any job code runs.
 */
import { Application } from '../foundation/application.ts'
import type { Encrypter } from '../encryption/encrypter.ts'
import { MissingAppKeyError } from '../encryption/errors.ts'
import type { Signer } from '../encryption/signer.ts'
import type { JobPayload } from './contracts.ts'
import type { Job } from './job.ts'
import { hydrateJobClass, parsePayloadFields, plainPayloadJson } from './payload-codec.ts'
import type { JobRegistry } from './registry.ts'
import { encryptJobData, openJobData, shouldBeEncrypted } from './payload-encryption.ts'
import { SIGNATURE_FIELD, serializeSigned, verifyPayloadSignature } from './payload-signature.ts'
import { uniqueLockOf } from './unique-jobs.ts'

/** The keys a payload is written or read with. Null members: no application, so no key. */
export interface PayloadSecurity {
  signer: Signer | null
  encrypter: Encrypter | null
}

/** The running application's signer and encrypter (both null outside an application). */
export function currentPayloadSecurity(): PayloadSecurity {
  if (!Application.hasCurrent()) return { signer: null, encrypter: null }
  return payloadSecurityOf(Application.current())
}

export function payloadSecurityOf(app: Application): PayloadSecurity {
  return { signer: app.make('signer'), encrypter: app.make('encrypter') }
}

/** The stored JSON for `payload` (built from `job` by the codec): encrypted, unique-locked and signed as the job asks. */
export function sealPayload(payload: JobPayload, job: Job, security: PayloadSecurity = currentPayloadSecurity()): string {
  if (shouldBeEncrypted(job)) {
    if (!security.encrypter) throw new MissingAppKeyError(`encrypt ${payload.job} (no Kiln application is running)`)
    payload.data = encryptJobData(payload.data, payload.job, security.encrypter)
    payload.encrypted = true
  }
  const lock = uniqueLockOf(job)
  if (lock) payload.uniqueLock = lock
  // The usual payload (nothing added above) has a faster writer giving the same text.
  const json = payload.encrypted === true || lock ? undefined : plainPayloadJson(payload)
  return serializeSigned(payload, security.signer, json)
}

/**
 * Verifies a stored payload `raw` (decoded as `payload`, so already checked for shape) before it is
 * trusted: throws E_INVALID_SIGNATURE when APP_KEY is set and the signature is missing or wrong.
 */
export function verifyPayload(raw: string, payload: JobPayload, security: PayloadSecurity): void {
  // The decoded payload passes unknown top-level fields through, so its signature is the stored one.
  const signature = Object.hasOwn(payload, SIGNATURE_FIELD) ? (payload as unknown as Record<string, unknown>)[SIGNATURE_FIELD] : undefined
  verifyPayloadSignature({ raw, signature, job: payload.job, fields: () => parsePayloadFields(raw) }, security.signer)
}

/** The job data of `payload`, decrypted with the running application's keys when it is encrypted. */
export function readJobData(payload: JobPayload): unknown {
  return openJobData(payload, () => {
    const { encrypter } = currentPayloadSecurity()
    if (!encrypter) throw new MissingAppKeyError(`decrypt ${payload.job} (no Kiln application is running)`)
    return encrypter
  })
}

/**
 * Rebuilds the job of a stored payload for the worker (`payload` is `raw`, decoded): the name must be
 * registered (E_UNKNOWN_JOB, checked first: a lookup runs no code), then the signature must hold when
 * APP_KEY is set (E_INVALID_SIGNATURE), and only then is the data decrypted and the job built.
 */
export function openJob(app: Application, raw: string, payload: JobPayload, registry: Pick<JobRegistry, 'resolve'>): Job {
  const cls = registry.resolve(payload.job)
  const security = payloadSecurityOf(app)
  if (security.signer?.canSign) verifyPayload(raw, payload, security)
  return hydrateJobClass(cls, payload)
}

/**
 * Re-signs a payload whose fields were changed after encodeJob (chains and batches add theirs): any old
 * signature is replaced. Code that edits a stored payload must write it back through this.
 */
export function resealPayload(fields: Record<string, unknown>, security: PayloadSecurity = currentPayloadSecurity()): string {
  return serializeSigned(fields, security.signer)
}

/**
 * Encrypted jobs (Laravel's ShouldBeEncrypted). A job class opts in with a static marker, which
 * subclasses inherit:
 *
 *   export class ChargeCard extends QueuedJob {
 *     static shouldBeEncrypted = true
 *     constructor(public cardNumber: string) { super() }
 *   }
 *
 * Its encoded data is stored as one AES-256-GCM ciphertext (`"encrypted": true`, `"data": "v1...."`),
 * so the jobs table, Redis, failed_jobs and queue:failed show no plaintext; the job name and retry
 * settings stay readable for operators. The ciphertext is bound to the job name (GCM associated data),
 * and the payload signature covers it too. Decryption happens only when the job is rebuilt, never into
 * the payload that events and logs see.
 */
import type { Encrypter } from '../encryption/encrypter.ts'
import { DecryptionFailedError } from '../encryption/errors.ts'
import type { JobPayload } from './contracts.ts'
import type { Job } from './job.ts'

/** Whether `job`'s class (or an ancestor) sets `static shouldBeEncrypted = true`. */
export function shouldBeEncrypted(job: Job): boolean {
  return (job.constructor as { shouldBeEncrypted?: unknown }).shouldBeEncrypted === true
}

/** The ciphertext stored as `data` for an encrypted job; throws E_MISSING_APP_KEY without APP_KEY. */
export function encryptJobData(data: unknown, jobName: string, encrypter: Encrypter): string {
  return encrypter.encrypt(JSON.stringify(data), context(jobName))
}

/** The encoded data of `payload`, decrypted when it is encrypted. Throws E_DECRYPTION_FAILED / E_MISSING_APP_KEY. */
export function openJobData(payload: JobPayload, encrypter: () => Encrypter): unknown {
  if (payload.encrypted !== true) return payload.data
  if (typeof payload.data !== 'string') throw new DecryptionFailedError('the payload is marked encrypted but its data is not a ciphertext')
  const plaintext = encrypter().decrypt(payload.data, context(payload.job))
  try {
    return JSON.parse(plaintext) as unknown
  } catch {
    throw new DecryptionFailedError('the decrypted data is not JSON')
  }
}

function context(jobName: string): string {
  return `kiln/job-data/${jobName}`
}

import { KilnError } from '../support/errors.ts'

/** Something needs APP_KEY (an encrypted job, a signature check) and it is empty. */
export class MissingAppKeyError extends KilnError {
  constructor(purpose: string) {
    super('E_MISSING_APP_KEY', `APP_KEY is not set, so Kiln cannot ${purpose}. Run \`bin/craft key:generate\` (it writes APP_KEY to .env), or set APP_KEY in the environment.`)
  }
}

/** APP_KEY or an entry of APP_PREVIOUS_KEYS is not a `base64:` 32-byte key. */
export class InvalidAppKeyError extends KilnError {
  constructor(variable: string, defect: string) {
    super('E_INVALID_APP_KEY', `${variable} is not a valid key: ${defect}. Keys look like "base64:" followed by 32 random bytes in base64; \`bin/craft key:generate --show\` prints a fresh one.`)
  }
}

/** Ciphertext that does not decrypt with APP_KEY or any of APP_PREVIOUS_KEYS (tampered, truncated, or another key). */
export class DecryptionFailedError extends KilnError {
  constructor(defect: string) {
    super('E_DECRYPTION_FAILED', `The encrypted data could not be decrypted: ${defect}. If APP_KEY was rotated, put the old key in APP_PREVIOUS_KEYS; otherwise the data was altered and cannot be trusted.`)
  }
}

export type SignatureDefect = 'missing' | 'malformed' | 'unknown-key' | 'mismatch'

const EXPLANATIONS: Record<SignatureDefect, string> = {
  missing: 'the payload carries no signature (it was not written by a Kiln producer with an APP_KEY, or the signature was removed)',
  malformed: 'the signature field is not a Kiln signature',
  'unknown-key': 'it was signed with a key that is neither APP_KEY nor one of APP_PREVIOUS_KEYS',
  mismatch: 'the payload was changed after it was signed',
}

/** A signed payload whose HMAC does not check out; the job is failed without running. */
export class InvalidSignatureError extends KilnError {
  readonly defect: SignatureDefect

  constructor(defect: SignatureDefect, subject = 'payload') {
    super(
      'E_INVALID_SIGNATURE',
      `Rejected ${subject}: invalid signature (${defect}): ${EXPLANATIONS[defect]}. It was not run. If APP_KEY was rotated, list the old key in APP_PREVIOUS_KEYS on every worker.`,
    )
    this.defect = defect
  }
}

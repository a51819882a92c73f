/**
 * HMAC-SHA256 signatures with the application key (service `signer`). A signature is
 * `v1.<key id>.<mac>` (base64url mac); verify() accepts APP_KEY and every key in APP_PREVIOUS_KEYS and
 * compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { SignatureDefect } from './errors.ts'
import type { AppKey, KeyRing } from './key-ring.ts'

const VERSION = 'v1'

export class Signer {
  constructor(private readonly keys: KeyRing) {}

  /** Whether APP_KEY is set. Without it nothing is signed and nothing can be verified. */
  get canSign(): boolean {
    return this.keys.hasKey
  }

  /** Signs `message` with APP_KEY; throws E_MISSING_APP_KEY when it is not set. */
  sign(message: string): string {
    const key = this.keys.require('sign job payloads')
    return `${VERSION}.${key.id}.${mac(key, message).toString('base64url')}`
  }

  /** Null when `signature` is a valid signature of `message`, otherwise what is wrong with it. */
  check(message: string, signature: unknown): SignatureDefect | null {
    if (signature === undefined || signature === null || signature === '') return 'missing'
    if (typeof signature !== 'string') return 'malformed'
    const [version, keyId, encoded, ...rest] = signature.split('.')
    if (version !== VERSION || !keyId || !encoded || rest.length > 0) return 'malformed'
    const key = this.keys.find(keyId)
    if (!key) return 'unknown-key'
    const given = Buffer.from(encoded, 'base64url')
    const expected = mac(key, message)
    return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'mismatch'
  }

  verify(message: string, signature: unknown): boolean {
    return this.check(message, signature) === null
  }
}

function mac(key: AppKey, message: string): Buffer {
  return createHmac('sha256', key.subkey('signing')).update(message, 'utf8').digest()
}

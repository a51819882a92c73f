/**
 * AES-256-GCM with the application key (service `encrypter`). A ciphertext is one ASCII string,
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts, 12-byte random IV, 16-byte tag), so it fits
 * in JSON as it is. GCM authenticates: a flipped bit anywhere, or a different `context`, fails to
 * decrypt instead of yielding altered plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { DecryptionFailedError } from './errors.ts'
import type { KeyRing } from './key-ring.ts'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export class Encrypter {
  constructor(private readonly keys: KeyRing) {}

  /** Whether APP_KEY is set (encrypt() throws E_MISSING_APP_KEY otherwise). */
  get canEncrypt(): boolean {
    return this.keys.hasKey
  }

  /**
   * Encrypts `plaintext` with APP_KEY. `context` is authenticated but not stored (GCM associated data):
   * decrypt() must be given the same, which binds the ciphertext to what it belongs to.
   */
  encrypt(plaintext: string, context = ''): string {
    const key = this.keys.require('encrypt data')
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key.subkey('encryption'), iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [VERSION, key.id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
  }

  /** Decrypts with the key the ciphertext names (APP_KEY or one of APP_PREVIOUS_KEYS); throws E_DECRYPTION_FAILED. */
  decrypt(ciphertext: string, context = ''): string {
    if (typeof ciphertext !== 'string') throw new DecryptionFailedError('it is not a ciphertext string')
    const parts = ciphertext.split('.')
    const [version, keyId, iv, body, tag] = parts
    if (parts.length !== 5 || version !== VERSION || !keyId || iv === undefined || body === undefined || tag === undefined) {
      throw new DecryptionFailedError('it is not a Kiln ciphertext (expected v1.<key id>.<iv>.<data>.<tag>)')
    }
    this.keys.require('decrypt data')
    const key = this.keys.find(keyId)
    if (!key) throw new DecryptionFailedError('it was encrypted with a key that is neither APP_KEY nor one of APP_PREVIOUS_KEYS')
    const ivBytes = Buffer.from(iv, 'base64url')
    const tagBytes = Buffer.from(tag, 'base64url')
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new DecryptionFailedError('its IV or authentication tag has the wrong length')
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.subkey('encryption'), ivBytes, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(tagBytes)
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      throw new DecryptionFailedError('the authentication tag does not match (the ciphertext was altered)')
    }
  }
}

/**
 * APP_KEY and APP_PREVIOUS_KEYS, parsed once. The current key signs and encrypts; every key (current
 * first) verifies and decrypts, so a rotation does not strand payloads already queued. Each key gets a
 * short public id that signatures and ciphertexts carry, so the right key is found without trial.
 *
 * Signing and encryption never use the raw key: each purpose derives its own subkey (HKDF-SHA256), so a
 * MAC can never be confused with an encryption key.
 */
import { createHash, hkdfSync } from 'node:crypto'
import { InvalidAppKeyError, MissingAppKeyError } from './errors.ts'

export type KeyPurpose = 'signing' | 'encryption'

export interface AppKey {
  /** Short, non-secret identifier (11 base64url characters of a hash of the key). */
  readonly id: string
  subkey(purpose: KeyPurpose): Buffer
}

export interface KeyConfig {
  key: string
  previousKeys?: string[]
}

export class KeyRing {
  private constructor(
    readonly current: AppKey | null,
    readonly all: readonly AppKey[],
  ) {}

  /** Throws E_INVALID_APP_KEY for a key that is set but malformed; an empty APP_KEY gives an empty ring. */
  static fromConfig(config: KeyConfig): KeyRing {
    const current = config.key.trim() === '' ? null : parseKey(config.key, 'APP_KEY')
    const previous = (config.previousKeys ?? []).filter((key) => key.trim() !== '').map((key, i) => parseKey(key, `APP_PREVIOUS_KEYS[${i}]`))
    const all = [current, ...previous].filter((key): key is AppKey => key !== null)
    return new KeyRing(current, all)
  }

  get hasKey(): boolean {
    return this.current !== null
  }

  /** The current key; throws E_MISSING_APP_KEY naming what needed it. */
  require(purpose: string): AppKey {
    if (!this.current) throw new MissingAppKeyError(purpose)
    return this.current
  }

  find(id: string): AppKey | undefined {
    return this.all.find((key) => key.id === id)
  }
}

/** Parses `base64:<32 bytes>` (Laravel's APP_KEY format). */
export function parseKey(value: string, variable: string): AppKey {
  const text = value.trim()
  if (!text.startsWith('base64:')) throw new InvalidAppKeyError(variable, 'it does not start with "base64:"')
  const bytes = Buffer.from(text.slice('base64:'.length), 'base64')
  if (bytes.length !== 32) throw new InvalidAppKeyError(variable, `it decodes to ${bytes.length} bytes instead of 32`)
  const id = createHash('sha256').update('kiln/key-id/').update(bytes).digest('base64url').slice(0, 11)
  const subkeys = new Map<KeyPurpose, Buffer>()
  return {
    id,
    subkey(purpose) {
      let subkey = subkeys.get(purpose)
      if (!subkey) subkeys.set(purpose, (subkey = Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), `kiln/${purpose}`, 32))))
      return subkey
    },
  }
}

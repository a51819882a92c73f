/**
 * The application key primitives: AES-256-GCM encryption and HMAC-SHA256 signatures with APP_KEY,
 * APP_PREVIOUS_KEYS for rotation, and clear errors for a missing or malformed key.
 */
import { describe, expect, it } from 'vitest'
import { Encrypter } from '../../framework/encryption/encrypter.ts'
import { KeyRing } from '../../framework/encryption/key-ring.ts'
import { Signer } from '../../framework/encryption/signer.ts'
import { canonicalJson } from '../../framework/queue/payload-signature.ts'
import { generateKey } from '../../framework/support/app-key.ts'

const oldKey = generateKey()
const newKey = generateKey()
const ring = (key: string, previousKeys: string[] = []) => KeyRing.fromConfig({ key, previousKeys })

describe('application keys', () => {
  it.each([
    ['no base64: prefix', 'c2VjcmV0'],
    ['a key of the wrong length', `base64:${Buffer.alloc(16).toString('base64')}`],
  ])('refuses %s with E_INVALID_APP_KEY', (_label, key) => {
    expect(() => ring(key)).toThrow(expect.objectContaining({ code: 'E_INVALID_APP_KEY' }))
    expect(() => ring(newKey, [key])).toThrow(expect.objectContaining({ code: 'E_INVALID_APP_KEY', message: expect.stringContaining('APP_PREVIOUS_KEYS') }))
  })

  it('treats an empty APP_KEY as no key: encrypting or signing asks for key:generate', () => {
    const keys = ring('')
    expect(keys.hasKey).toBe(false)
    expect(() => new Encrypter(keys).encrypt('x')).toThrow(expect.objectContaining({ code: 'E_MISSING_APP_KEY', message: expect.stringContaining('key:generate') }))
    expect(() => new Signer(keys).sign('x')).toThrow(expect.objectContaining({ code: 'E_MISSING_APP_KEY' }))
  })
})

describe('Encrypter', () => {
  const encrypter = new Encrypter(ring(newKey))

  it('round-trips, shows no plaintext, and uses a fresh IV each time', () => {
    const secret = '4111 1111 1111 1111'
    const a = encrypter.encrypt(secret, 'ctx')
    const b = encrypter.encrypt(secret, 'ctx')
    expect(a).not.toContain('4111')
    expect(Buffer.from(a.split('.')[3] ?? '', 'base64url').toString('latin1')).not.toContain('4111')
    expect(a).not.toBe(b)
    expect(encrypter.decrypt(a, 'ctx')).toBe(secret)
  })

  it('fails with E_DECRYPTION_FAILED when any part was altered', () => {
    const ciphertext = encrypter.encrypt('attack at dawn', 'ctx')
    const parts = ciphertext.split('.')
    for (const index of [2, 3, 4]) {
      const altered = [...parts]
      const part = altered[index] ?? ''
      altered[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1)
      expect(() => encrypter.decrypt(altered.join('.'), 'ctx')).toThrow(expect.objectContaining({ code: 'E_DECRYPTION_FAILED' }))
    }
    expect(() => encrypter.decrypt(ciphertext, 'another context')).toThrow(expect.objectContaining({ code: 'E_DECRYPTION_FAILED' }))
    expect(() => encrypter.decrypt('not a ciphertext', 'ctx')).toThrow(expect.objectContaining({ code: 'E_DECRYPTION_FAILED' }))
  })

  it('decrypts with a key from APP_PREVIOUS_KEYS after a rotation, and not once the old key is dropped', () => {
    const before = new Encrypter(ring(oldKey)).encrypt('kept', 'ctx')
    expect(new Encrypter(ring(newKey, [oldKey])).decrypt(before, 'ctx')).toBe('kept')
    expect(() => new Encrypter(ring(newKey)).decrypt(before, 'ctx')).toThrow(expect.objectContaining({ code: 'E_DECRYPTION_FAILED' }))
  })
})

describe('Signer', () => {
  const signer = new Signer(ring(newKey))

  it('verifies its own signatures and names what is wrong with others', () => {
    const signature = signer.sign('message')
    expect(signer.check('message', signature)).toBeNull()
    expect(signer.check('messagE', signature)).toBe('mismatch')
    expect(signer.check('message', undefined)).toBe('missing')
    expect(signer.check('message', 42)).toBe('malformed')
    expect(signer.check('message', 'v1.nope')).toBe('malformed')
    expect(signer.check('message', new Signer(ring(oldKey)).sign('message'))).toBe('unknown-key')
  })

  it('accepts signatures made with a key in APP_PREVIOUS_KEYS', () => {
    const signature = new Signer(ring(oldKey)).sign('message')
    expect(new Signer(ring(newKey, [oldKey])).verify('message', signature)).toBe(true)
  })

  it('does not accept a signature for another key id forged with the current key', () => {
    const [version, , mac] = signer.sign('message').split('.')
    const otherId = new Signer(ring(oldKey)).sign('message').split('.')[1]
    expect(signer.check('message', `${version}.${otherId}.${mac}`)).toBe('unknown-key')
  })
})

describe('canonical payload JSON', () => {
  it('gives the same text for a value, its JSON round trip, and any key order or spacing', () => {
    const value = { b: [1, undefined, { z: 'é', a: null }], a: { y: undefined, x: -0, w: 1.5e300 }, c: '\u2028"' }
    const roundTrip = JSON.parse(JSON.stringify(value)) as unknown
    const reordered = JSON.parse('{ "c": "\\u2028\\"", "a": {"w": 1.5e300, "x": 0}, "b": [1, null, {"a": null, "z": "\\u00e9"}] }') as unknown
    expect(canonicalJson(value)).toBe(canonicalJson(roundTrip))
    expect(canonicalJson(reordered)).toBe(canonicalJson(value))
    expect(canonicalJson({ ...(value as object), signature: 'x' }, 'signature')).toBe(canonicalJson(value))
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }))
  })
})

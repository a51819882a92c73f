/**
 * Password hashing with node:crypto's scrypt (memory-hard, no native dependency).
 *
 * Stored format: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` (N=16384, r=8, p=1, a random
 * 16-byte salt, a 64-byte key). The parameters travel with the hash, so raising them later still
 * verifies old hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const PARAMS = { N: 16384, r: 8, p: 1 } as const
const KEY_LENGTH = 64

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(plain, salt, PARAMS)
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** True when `plain` matches a hash made by hashPassword(); false for any other string. */
export async function verifyPassword(plain: string, hashed: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = hashed.split('$')
  if (scheme !== 'scrypt' || !salt || !expected) return false
  const wanted = Buffer.from(expected, 'base64')
  const key = await derive(plain, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) }, wanted.length)
  return key.length === wanted.length && timingSafeEqual(key, wanted)
}

function derive(plain: string, salt: Buffer, options: ScryptOptions, length = KEY_LENGTH): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain.normalize('NFKC'), salt, length, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

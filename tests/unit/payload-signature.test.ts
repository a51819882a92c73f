/**
 * Payload signatures over the exact stored text (payload-signature.ts): what a worker accepts and refuses,
 * including payloads signed the older way (over their canonical JSON) that may still sit in a queue.
 */
import { describe, expect, it } from 'vitest'
import { KeyRing } from '../../framework/encryption/key-ring.ts'
import { Signer } from '../../framework/encryption/signer.ts'
import { canonicalJson, serializeSigned, verifyPayloadSignature } from '../../framework/queue/payload-signature.ts'
import { generateKey } from '../../framework/support/app-key.ts'

const signer = new Signer(KeyRing.fromConfig({ key: generateKey() }))
const fields = { uuid: 'u-1', job: 'ChargeCard', maxTries: 3, backoff: [5, 30], data: { order: { $kiln: 'model', value: { __model: 'Order', key: 7 } } } }

/** What a worker checks: the stored text and the members it parsed from it. */
function verify(raw: string, by: Signer = signer): void {
  const parsed = JSON.parse(raw) as Record<string, unknown>
  verifyPayloadSignature({ raw, signature: parsed.signature, job: parsed.job, fields: () => parsed }, by)
}

function defectOf(raw: string): string | undefined {
  try {
    verify(raw)
    return undefined
  } catch (error) {
    return (error as { defect?: string }).defect
  }
}

describe('payload signatures', () => {
  it('stores the fields as they are, with the signature added as the last member, and verifies', () => {
    const raw = serializeSigned(fields, signer)
    const { signature, ...rest } = JSON.parse(raw) as Record<string, unknown>
    expect(rest).toEqual(fields)
    expect(signature).toMatch(/^v1\./)
    expect(raw.endsWith(`,"signature":${JSON.stringify(signature)}}`)).toBe(true)
    expect(() => verify(raw)).not.toThrow()
  })

  it('accepts a payload signed over its canonical JSON, as payloads queued by earlier versions are', () => {
    const reordered = { data: fields.data, job: fields.job, backoff: fields.backoff, uuid: fields.uuid, maxTries: fields.maxTries }
    const raw = JSON.stringify({ ...reordered, signature: signer.sign(canonicalJson(fields)) })
    expect(() => verify(raw)).not.toThrow()
  })

  it.each([
    ['a changed value', 'mismatch', (raw: string) => raw.replace('"maxTries":3', '"maxTries":1000')],
    ['a member added after the signature', 'mismatch', (raw: string) => `${raw.slice(0, -1)},"maxTries":1000}`],
    ['a member added before the signature', 'mismatch', (raw: string) => raw.replace('{', '{"timeout":9,')],
    ['the signature removed', 'missing', (raw: string) => raw.replace(/,"signature":"[^"]*"/, '')],
    ['a signature from another key', 'unknown-key', (raw: string) => raw.replace(/"signature":"[^"]*"/, `"signature":${JSON.stringify(new Signer(KeyRing.fromConfig({ key: generateKey() })).sign('x'))}`)],
  ])('refuses a payload with %s (%s)', (_label, defect, change) => {
    expect(defectOf(change(serializeSigned(fields, signer)))).toBe(defect)
  })

  it('re-signing replaces the old signature instead of adding a second one', () => {
    const first = JSON.parse(serializeSigned(fields, signer)) as Record<string, unknown>
    const resealed = serializeSigned({ ...first, chained: ['next'] }, signer)
    expect(resealed.match(/"signature"/g)).toHaveLength(1)
    expect(() => verify(resealed)).not.toThrow()
    expect(JSON.parse(resealed)).toMatchObject({ chained: ['next'], job: 'ChargeCard' })
  })

  it('signs nothing and checks nothing without APP_KEY', () => {
    const none = new Signer(KeyRing.fromConfig({ key: '' }))
    expect(serializeSigned(fields, none)).toBe(JSON.stringify(fields))
    expect(() => verify(JSON.stringify(fields), none)).not.toThrow()
  })
})

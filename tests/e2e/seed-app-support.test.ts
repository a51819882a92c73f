/** The seed app's helpers (password hashing, the CSV reader) and `craft db:seed`'s refusals. */
import { describe, expect, it } from 'vitest'
import { parseCsv } from '../../app/Support/csv.ts'
import { hashPassword, verifyPassword } from '../../app/Support/Hash.ts'
import { runCraft } from '../support/craft.ts'

describe('password hashing', () => {
  it('stores scrypt with its parameters and a random salt, and verifies only the right password', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')])
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(first).not.toBe(second) // a fresh salt each time
    expect(await verifyPassword('correct horse', first)).toBe(true)
    expect(await verifyPassword('correct horse', second)).toBe(true)
    expect(await verifyPassword('wrong horse', first)).toBe(false)
    expect(await verifyPassword('correct horse', 'plain-text')).toBe(false)
  })
})

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, line breaks inside quotes and CRLF, skipping blank lines', () => {
    expect(parseCsv('name,email\r\nAda,ada@x\n"Hopper, ""Amazing"" Grace",g@x\n\n"two\nlines",t@x\nlast,l@x')).toEqual([
      { line: 1, fields: ['name', 'email'] },
      { line: 2, fields: ['Ada', 'ada@x'] },
      { line: 3, fields: ['Hopper, "Amazing" Grace', 'g@x'] },
      { line: 5, fields: ['two\nlines', 't@x'] },
      { line: 7, fields: ['last', 'l@x'] },
    ])
  })
})

describe('craft db:seed', () => {
  it('names a missing seeder and refuses a class name that is not one', async () => {
    const missing = await runCraft(['db:seed', '--class=NoSuchSeeder', '--force'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('Seeder "NoSuchSeeder" was not found')
    const invalid = await runCraft(['db:seed', '--class=../evil', '--force'])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('is not a seeder class name')
  })
})

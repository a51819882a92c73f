import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { env, loadEnvFile } from '../../framework/foundation/env.ts'
import { ensureEnvFile } from '../../framework/foundation/env-file.ts'

const touched: string[] = []
function setEnv(key: string, value: string): void {
  touched.push(key)
  process.env[key] = value
}
afterEach(() => {
  for (const key of touched.splice(0)) delete process.env[key]
})

describe('env()', () => {
  it("casts like Laravel's env()", () => {
    const cases: [string, unknown][] = [
      ['true', true],
      ['(true)', true],
      ['FALSE', false],
      ['(false)', false],
      ['null', null],
      ['(null)', null],
      ['empty', ''],
      ['(empty)', ''],
      ['plain', 'plain'],
    ]
    for (const [raw, expected] of cases) {
      setEnv('KILN_T_VALUE', raw)
      expect(env('KILN_T_VALUE')).toBe(expected)
    }
  })

  it('gives the fallback for unset variables, and typed readers fall back on bad values', () => {
    expect(env('KILN_T_UNSET', 'fallback')).toBe('fallback')
    setEnv('KILN_T_NUM', 'abc')
    expect(env.number('KILN_T_NUM', 7)).toBe(7)
    setEnv('KILN_T_NUM', '42')
    expect(env.number('KILN_T_NUM', 7)).toBe(42)
    setEnv('KILN_T_BOOL', 'true')
    expect(env.boolean('KILN_T_BOOL', false)).toBe(true)
    expect(env.string('KILN_T_UNSET', 'x')).toBe('x')
  })

  it('loads a .env file without overriding the real environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-env-'))
    writeFileSync(join(dir, '.env'), 'KILN_T_A=from-file\nKILN_T_B="quoted value"\n')
    setEnv('KILN_T_A', 'from-env')
    touched.push('KILN_T_B')
    expect(loadEnvFile(join(dir, '.env'))).toBe(true)
    expect(process.env.KILN_T_A).toBe('from-env')
    expect(process.env.KILN_T_B).toBe('quoted value')
  })
})

describe('first-run setup', () => {
  it('creates .env from .env.example with a fresh APP_KEY, then leaves it alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-setup-'))
    writeFileSync(join(dir, '.env.example'), 'APP_NAME=Kiln\nAPP_KEY=\nDB_CONNECTION=sqlite\n')
    expect(ensureEnvFile(dir)).toEqual({ createdEnv: true, generatedKey: true })
    const first = readFileSync(join(dir, '.env'), 'utf8')
    expect(first).toMatch(/^APP_KEY=base64:[A-Za-z0-9+/]{43}=$/m)
    expect(first).toContain('DB_CONNECTION=sqlite')
    expect(ensureEnvFile(dir)).toEqual({ createdEnv: false, generatedKey: false })
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(first)
  })
})

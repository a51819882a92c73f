import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const register = fileURLToPath(new URL('../../framework/loader/register.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'kiln-loader-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Type-only lines that esbuild removes, so a stack trace without a working source map would name line 3.
const SOURCE = `interface Order {
  id: number
}
type Id = Order['id']

export function charge(id: Id): never {
  throw new Error(\`card declined for order \${id}\`)
}

charge(7)
`

describe('the TypeScript loader (framework/loader)', () => {
  it('reports errors at their line in the .ts file and quotes that line, though the cache keeps no TypeScript text', () => {
    const file = join(dir, 'charge.ts')
    writeFileSync(file, SOURCE)
    // Twice: the first run transforms and caches, the second is served from the cache.
    for (const run of [1, 2]) {
      const result = spawnSync(process.execPath, ['--import', register, file], { encoding: 'utf8' })
      expect(result.status, `run ${run}`).toBe(1)
      expect(result.stderr).toContain(`${file}:7`)
      expect(result.stderr).toContain('throw new Error(`card declined for order ${id}`)')
      expect(result.stderr).toContain('Error: card declined for order 7')
    }
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/craft.ts'

describe('.env.example', () => {
  it('documents every variable the config files read', () => {
    const documented = new Set([...readFileSync(join(repoRoot, '.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))
    const read = new Set<string>()
    for (const file of readdirSync(join(repoRoot, 'config'))) {
      for (const match of readFileSync(join(repoRoot, 'config', file), 'utf8').matchAll(/env(?:\.\w+)?\('([A-Z][A-Z0-9_]*)'/g)) read.add(match[1]!)
    }
    expect(read.size).toBeGreaterThan(10)
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([])
  })
})

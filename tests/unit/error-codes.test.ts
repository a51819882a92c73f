import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/craft.ts'

/** Every error code raised in framework/ has a row in docs/errors.md, and the table names no stale code. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

function codesInSource(): Set<string> {
  const codes = new Set<string>()
  for (const file of sourceFiles(join(repoRoot, 'framework'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\b(E_[A-Z0-9_]{3,})\b/g)) codes.add(match[1]!)
  }
  return codes
}

function codesInDocs(): Map<string, string> {
  const rows = new Map<string, string>()
  for (const match of readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8').matchAll(/^\| `(E_[A-Z0-9_]+)` \|([^|]*)\|([^|]*)\|/gm)) {
    rows.set(match[1]!, match[3]!.trim())
  }
  return rows
}

describe('docs/errors.md', () => {
  it('documents every error code the framework raises, each with what to do', () => {
    const documented = codesInDocs()
    const missing = [...codesInSource()].filter((code) => !documented.has(code))
    expect(missing).toEqual([])
    for (const [code, whatToDo] of documented) expect(whatToDo, code).not.toBe('')
  })

  it('lists no code the framework no longer raises', () => {
    const inSource = codesInSource()
    expect([...codesInDocs().keys()].filter((code) => !inSource.has(code))).toEqual([])
  })
})

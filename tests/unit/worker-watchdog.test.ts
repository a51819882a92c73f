import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/craft.ts'

function runChild(mode: 'arm' | 'disarm') {
  return spawnSync(process.execPath, ['--import', join(repoRoot, 'framework/loader/register.mjs'), join(repoRoot, 'tests/fixtures/watchdog-child.ts'), mode], { encoding: 'utf8', timeout: 20_000 })
}

describe('the worker watchdog thread', () => {
  it('kills a process whose event loop is blocked past an armed deadline', () => {
    const result = runChild('arm')
    expect(result.signal).toBe('SIGKILL')
    expect(result.stdout).not.toContain('survived')
    expect(result.stderr).toContain('watchdog')
  })

  it('leaves the process alone once the deadline is disarmed', () => {
    const result = runChild('disarm')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('survived')
  })
})

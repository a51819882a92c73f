import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/craft.ts'

// worker-watchdog.test.ts runs the watchdog under the loader (bin/craft's case: the checks run on the
// loader's thread); this is the other case, a thread of its own.
function runChild(mode: 'arm' | 'disarm') {
  const child = join(repoRoot, 'tests/fixtures/watchdog-without-loader-thread.ts')
  return spawnSync(process.execPath, ['--import', join(repoRoot, 'framework/loader/register.mjs'), child, mode], { encoding: 'utf8', timeout: 20_000 })
}

describe('the worker watchdog without the loader thread', () => {
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

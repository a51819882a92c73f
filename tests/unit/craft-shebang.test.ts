/**
 * bin/craft carries Node options on its shebang line (`#!/usr/bin/env -S node ...`, see the file): run
 * directly, as users do, Node must accept them; and the bench reads them from there to start Kiln's
 * measured processes the same way.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nodeOptionsOf } from '../../bench/process.ts'
import { craftBin } from '../support/craft.ts'

describe('bin/craft shebang', () => {
  it('starts when run directly, with the Node options on its first line', () => {
    const run = spawnSync(craftBin, ['--version'], { encoding: 'utf8', timeout: 30_000 })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    const options = nodeOptionsOf(readFileSync(craftBin, 'utf8'))
    expect(options.length).toBeGreaterThan(0)
    // Every option is one Node itself accepts (a typo or an option a newer Node dropped fails here).
    const node = spawnSync(process.execPath, [...options, '-e', '0'], { encoding: 'utf8' })
    expect(node.stderr).toBe('')
    expect(node.status).toBe(0)
  })

  it('reads the options of a plain or an `env -S` shebang, and refuses anything else', () => {
    expect(nodeOptionsOf('#!/usr/bin/env node\nrest')).toEqual([])
    expect(nodeOptionsOf('#!/usr/bin/env -S node --a=1 --b\n')).toEqual(['--a=1', '--b'])
    expect(() => nodeOptionsOf('#!/bin/sh\n')).toThrow(/does not start with/)
  })
})

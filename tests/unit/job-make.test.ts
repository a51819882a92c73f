import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JobRegistry } from '../../framework/queue/registry.ts'
import { runCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { typeErrors } from '../support/typecheck.ts'

let app: TempApp
const craft = (...args: string[]) => runCraft(args, { basePath: app.basePath })
const jobPath = (name: string) => app.path('app', 'Jobs', `${name}.ts`)

beforeAll(() => {
  app = makeTempApp()
})
afterAll(() => app?.cleanup())

describe('craft make:job', () => {
  it('writes a queued job from the stub, with tries, backoff, timeout, handle() and failed()', async () => {
    const result = await craft('make:job', 'SendInvoice')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Job [app/Jobs/SendInvoice.ts] created successfully.')
    const text = readFileSync(jobPath('SendInvoice'), 'utf8')
    expect(text).toContain("import { QueuedJob } from '#kiln/queue/job'")
    expect(text).toContain('export class SendInvoice extends QueuedJob {')
    for (const member of ['override tries = 3', 'override backoff = [10, 30, 60]', 'override timeout = 60', 'async handle(): Promise<void>', 'override failed(error: Error)']) {
      expect(text).toContain(member)
    }
  })

  it('--sync writes a job that is not queued', async () => {
    const result = await craft('make:job', 'RecalculateTotals', '--sync')
    expect(result.code).toBe(0)
    const text = readFileSync(jobPath('RecalculateTotals'), 'utf8')
    expect(text).toContain("import { Job } from '#kiln/queue/job'")
    expect(text).toContain('export class RecalculateTotals extends Job {')
  })

  it('the generated files typecheck and are discovered as jobs', async () => {
    // A control file with a wrong setting type proves the check can fail.
    const control = app.path('control.ts')
    writeFileSync(control, readFileSync(jobPath('SendInvoice'), 'utf8').replace('class SendInvoice', 'class Control').replace('override tries = 3', "override tries = 'three'"))
    const errors = await typeErrors([jobPath('SendInvoice'), jobPath('RecalculateTotals'), control])
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((error) => error.startsWith(control))).toBe(true)
    const registry = new JobRegistry()
    expect((await registry.discover(app.path('app', 'Jobs'))).sort()).toEqual(['RecalculateTotals', 'SendInvoice'])
  }, 60_000)

  it('refuses to overwrite an existing job (exit 1, file untouched)', async () => {
    writeFileSync(jobPath('SendInvoice'), '// mine\n')
    const result = await craft('make:job', 'SendInvoice')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('already exists')
    expect(readFileSync(jobPath('SendInvoice'), 'utf8')).toBe('// mine\n')
  })

  it.each(['send-invoice', '../Evil', 'Admin/Report', 'Report.ts', 'QueuedJob'])('rejects the class name %j (exit 1, nothing written)', async (name) => {
    const before = readdirSync(app.path('app', 'Jobs'))
    const result = await craft('make:job', name)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/class name|base class/)
    expect(readdirSync(app.path('app', 'Jobs'))).toEqual(before)
    expect(existsSync(app.path('app', 'Evil.ts'))).toBe(false)
  })
})

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { decodePayload, encodeJob, hydrateJob } from '../../framework/queue/payload-codec.ts'
import { JobRegistry } from '../../framework/queue/registry.ts'
import { repoRoot } from '../support/craft.ts'

const root = join(repoRoot, 'tests', '.tmp')
mkdirSync(root, { recursive: true })
const dir = mkdtempSync(join(root, 'registry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(file: string, text: string): void {
  mkdirSync(join(dir, file, '..'), { recursive: true })
  writeFileSync(join(dir, file), text)
}

const jobFile = (name: string, extra = '') => `import { QueuedJob } from '#kiln/queue/job'
export class ${name} extends QueuedJob {
  constructor(public n: number) { super() }
  handle() {}
}
${extra}`

describe('JobRegistry', () => {
  it('discovers every exported job class of a folder, recursively, and nothing else', async () => {
    write('A.ts', jobFile('SendInvoice', "export const notAJob = 1\nexport { QueuedJob } from '#kiln/queue/job'\nexport default class Helper {}"))
    write('Billing/Refund.ts', jobFile('RefundPayment'))
    write('notes.md', 'not code')
    write('Skip.test.ts', 'throw new Error("test files are not imported")')
    const registry = new JobRegistry()
    const found = await registry.discover(dir)
    expect(found.sort()).toEqual(['RefundPayment', 'SendInvoice'])
    expect(registry.names()).toEqual(['RefundPayment', 'SendInvoice'])
  })

  it('hydrates a discovered job from a payload made in this process', async () => {
    const registry = new JobRegistry([dir])
    await registry.ready()
    const cls = registry.resolve('SendInvoice') as unknown as new (n: number) => QueuedJob & { n: number }
    const job = hydrateJob(decodePayload(encodeJob(new cls(42)).payload), registry) as QueuedJob & { n: number }
    expect(job).toBeInstanceOf(cls)
    expect(job.n).toBe(42)
  })

  it.each(['../../x', 'node:child_process', '__proto__', 'constructor', 'toString', './A.ts', join(dir, 'A.ts'), 'hasOwnProperty'])(
    'treats %s as an unknown job (never a path to import)',
    async (name) => {
      const registry = await new JobRegistry([dir]).ready()
      expect(() => registry.resolve(name)).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_JOB' }))
      const raw = JSON.stringify({ uuid: 'u', job: name, data: {} })
      expect(() => hydrateJob(decodePayload(raw), registry)).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_JOB' }))
    },
  )

  it('refuses two different classes under one name, and accepts a custom static jobName', () => {
    class Twin extends QueuedJob {
      handle() {}
    }
    const Other = class Twin extends QueuedJob {
      handle() {}
    }
    class Renamed extends QueuedJob {
      static override jobName = 'billing.renamed'
      handle() {}
    }
    const registry = new JobRegistry().register(Twin).register(Twin).register(Renamed)
    expect(() => registry.register(Other)).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_JOB_NAME' }))
    expect(registry.resolve('billing.renamed')).toBe(Renamed)
    expect(JSON.parse(encodeJob(new Renamed()).payload).job).toBe('billing.renamed')
  })

  it('reports a job file that fails to import with E_INVALID_JOB_FILE', async () => {
    const broken = mkdtempSync(join(root, 'broken-'))
    try {
      writeFileSync(join(broken, 'Bad.ts'), 'throw new Error("boom at import")\n')
      await expect(new JobRegistry().discover(broken)).rejects.toMatchObject({ code: 'E_INVALID_JOB_FILE' })
    } finally {
      rmSync(broken, { recursive: true, force: true })
    }
  })

  it('is the `jobs` service, filled lazily from app/Jobs', async () => {
    const app = await Application.create({ basePath: repoRoot, loadEnv: false })
    try {
      const registry = app.make('jobs')
      // The framework's own jobs are registered up front; app/Jobs is discovered only on ready().
      expect(registry.names()).toEqual(['Kiln.SendQueuedMailable'])
      await registry.ready()
      expect(registry.names()).toContain('SendWelcomeEmail')
    } finally {
      await app.shutdown()
    }
  })
})

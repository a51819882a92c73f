/**
 * Scenarios 10 and 11 under load: hostile raw values (invalid JSON, no job name, truncated, 2 MiB of
 * garbage, non-objects) and job names that look like module paths (`../../x`, `/tmp/pwn.mjs`,
 * `file:///tmp/pwn.mjs`, `node:child_process`, `__proto__`...) pushed between healthy jobs. Pass: each in
 * failed_jobs with its raw payload intact and the code of its defect, every healthy job done, no worker
 * exits (pids unchanged), no stack trace on stdout, and the sentinel modules (which write a file when
 * imported) never imported.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { result, waitUntil, workerEnv, type Scenario } from './context.ts'

interface Hostile {
  label: string
  raw: string
  code: 'E_MALFORMED_PAYLOAD' | 'E_UNKNOWN_JOB'
}

export const hostileInput: Scenario = {
  id: '10+11',
  title: 'hostile payloads',
  queues: ['default'],
  async run(context) {
    const startedAt = Date.now()
    const dir = mkdtempSync(join(tmpdir(), 'kiln-soak-pwn-'))
    const sentinel = join(dir, 'imported')
    const mjs = join(dir, 'pwn.mjs')
    writeFileSync(mjs, `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(sentinel)}, 'pwned')\nexport class Pwn {}\n`)
    const hostile = hostileValues(mjs)
    const healthy = context.ci ? 300 : 5000
    // Healthy jobs with a hostile value after every few of them.
    const every = Math.max(1, Math.floor(healthy / (hostile.length + 1)))
    const raws = Array.from({ length: healthy }, (_, i) => encodeJob(new SoakJob(`s10-h-${i}`, 2)).payload)
    hostile.forEach((bad, k) => raws.splice((k + 1) * every + k, 0, bad.raw))
    for (let i = 0; i < raws.length; i += 200) await context.backend.driver.bulkRaw(raws.slice(i, i + 200), 'default')

    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context, { KILN_SOAK_SENTINEL: sentinel }),
      args: [context.backend.connection, '--sleep=1', '--tries=3', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=2'],
    })
    const workers = supervisor.start(2)
    try {
      await waitUntil(async () => context.ledger.finishedKeys('s10-h-') >= healthy && (await context.backend.failedJobs()).length >= hostile.length, 120_000, 500)
      const exitedEarly = workers.filter((worker) => worker.exit !== null)
      await supervisor.stopAll('SIGTERM')

      const counts = context.ledger.counts('s10-h-', healthy)
      const failedRows = await context.backend.failedJobs()
      const reasons: string[] = []
      for (const bad of hostile) {
        const row = failedRows.find((r) => r.payload === bad.raw)
        if (!row) reasons.push(`${bad.label}: not in failed_jobs byte for byte`)
        else if (!row.exception.includes(bad.code)) reasons.push(`${bad.label}: failed with ${row.exception.split('\n')[0]?.slice(0, 80)} (want ${bad.code})`)
      }
      if (failedRows.length !== hostile.length) reasons.push(`${failedRows.length} failed rows for ${hostile.length} hostile values`)
      if (counts.lost !== 0) reasons.push(`${counts.lost} healthy lost`)
      if (exitedEarly.length > 0) reasons.push(`${exitedEarly.length} workers exited (pid changed)`)
      if (workers.some((worker) => worker.stackOnStdout)) reasons.push('a stack trace on stdout')
      if (existsSync(sentinel)) reasons.push('a sentinel module was imported')
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed: failedRows.length,
        passLine: `${hostile.length} hostile in failed_jobs intact with code, healthy lost=0, pids unchanged, no stack, sentinel untouched`,
        notes: [`${healthy} healthy`, `${hostile.length} hostile`, `pids ${workers.map((w) => w.pid).join(',')}`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
      rmSync(dir, { recursive: true, force: true })
    }
  },
}

function hostileValues(mjs: string): Hostile[] {
  const valid = JSON.parse(encodeJob(new SoakJob('s10-template', 0)).payload) as Record<string, unknown>
  const named = (job: string): string => JSON.stringify({ ...valid, uuid: crypto.randomUUID(), job, displayName: job })
  const fixtureSentinel = join(soakApp, 'sentinel', 'pwn.ts')
  const { job: _omitted, ...nameless } = valid
  const malformed: [string, string][] = [
    ['invalid JSON', '{"uuid": not json at all'],
    ['no job name', JSON.stringify({ ...nameless, uuid: crypto.randomUUID() })],
    ['truncated', encodeJob(new SoakJob('s10-truncated', 0)).payload.slice(0, 60)],
    ['2 MiB garbage', randomBytes(1536 * 1024).toString('base64')],
    ['JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
  ]
  const names = ['../../sentinel/pwn', '../../../tests/fixtures/soak-app/sentinel/pwn.ts', fixtureSentinel, pathToFileURL(fixtureSentinel).href, mjs, pathToFileURL(mjs).href, 'node:child_process', 'child_process', '__proto__', 'constructor', 'toString', 'hasOwnProperty']
  return [
    ...malformed.map(([label, raw]) => ({ label, raw, code: 'E_MALFORMED_PAYLOAD' as const })),
    ...names.map((name) => ({ label: `job name ${name}`, raw: named(name), code: 'E_UNKNOWN_JOB' as const })),
  ]
}

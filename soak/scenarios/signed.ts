/**
 * Scenario 14: with APP_KEY set on the workers and the producer, tampered signed payloads (a flipped
 * byte, a changed job name, an `attempts` field added to reset the count, raised maxTries, the signature
 * removed, signed with another key, a garbage signature) pushed raw between valid ones. Pass: each in
 * failed_jobs byte for byte with E_INVALID_SIGNATURE ("invalid signature"), its handler never called
 * (no ledger row), every valid job done, worker pids unchanged, no stack trace on stdout.
 *
 * Not covered here because a signature cannot cover it: the driver's own attempts counter (a column, a
 * Redis field) lives outside the payload (see framework/queue/payload-signature.ts).
 */
import { generateKey } from '../../framework/support/app-key.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { result, waitUntil, workerEnv, type Scenario } from './context.ts'
import { keyedSecurity, pushRaw } from './keyed.ts'

export const signedPayloads: Scenario = {
  id: '14',
  title: 'tampered signed payloads',
  queues: ['default'],
  async run(context) {
    const startedAt = Date.now()
    const key = generateKey()
    const security = keyedSecurity(key)
    const tampered = tamperedPayloads(key)
    const healthy = context.ci ? 100 : 2000
    const every = Math.max(1, Math.floor(healthy / (tampered.length + 1)))
    const raws = Array.from({ length: healthy }, (_, i) => encodeJob(new SoakJob(`s14-h-${i}`, 2), {}, security).payload)
    tampered.forEach((bad, k) => raws.splice((k + 1) * every + k, 0, bad.raw))
    await pushRaw(context, raws)

    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context, { APP_KEY: key }),
      args: [context.backend.connection, '--sleep=1', '--tries=3', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=2'],
    })
    const workers = supervisor.start(2)
    try {
      await waitUntil(async () => context.ledger.finishedKeys('s14-h-') >= healthy && (await context.backend.failedJobs()).length >= tampered.length, 90_000, 250)
      const exitedEarly = workers.filter((worker) => worker.exit !== null)
      await supervisor.stopAll('SIGTERM')

      const counts = context.ledger.counts('s14-h-', healthy)
      const failedRows = await context.backend.failedJobs()
      const ran = context.ledger.executions('s14-t-')
      const reasons: string[] = []
      for (const bad of tampered) {
        const row = failedRows.find((r) => r.payload === bad.raw)
        if (!row) reasons.push(`${bad.label}: not in failed_jobs byte for byte`)
        else if (!row.exception.includes('E_INVALID_SIGNATURE') || !row.exception.includes(`invalid signature (${bad.defect})`)) {
          reasons.push(`${bad.label}: failed with "${row.exception.split('\n')[0]?.slice(0, 100)}" (want E_INVALID_SIGNATURE, ${bad.defect})`)
        }
      }
      if (failedRows.length !== tampered.length) reasons.push(`${failedRows.length} failed rows for ${tampered.length} tampered payloads`)
      if (ran.length > 0) reasons.push(`the handler ran for ${[...new Set(ran.map((r) => r.key))].join(', ')}`)
      if (counts.lost !== 0) reasons.push(`${counts.lost} valid jobs lost`)
      if (exitedEarly.length > 0) reasons.push(`${exitedEarly.length} workers exited (pid changed)`)
      if (workers.some((worker) => worker.stackOnStdout)) reasons.push('a stack trace on stdout')
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed: failedRows.length,
        passLine: `${tampered.length} tampered in failed_jobs with E_INVALID_SIGNATURE, 0 handler calls, valid lost=0, pids unchanged`,
        notes: [`${healthy} valid`, `${tampered.length} tampered (${[...new Set(tampered.map((t) => t.defect))].join('/')})`, `handler calls for tampered ${ran.length}`, `pids ${workers.map((w) => w.pid).join(',')}`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

interface Tampered {
  label: string
  raw: string
  defect: 'missing' | 'malformed' | 'unknown-key' | 'mismatch'
}

/** Payloads of SoakJobs keyed `s14-t-...`, each altered after signing with `key` (or signed otherwise). */
function tamperedPayloads(key: string): Tampered[] {
  const security = keyedSecurity(key)
  const signed = (label: string) => encodeJob(new SoakJob(`s14-t-${label}`, 0), {}, security).payload
  const edit = (label: string, change: (fields: Record<string, unknown>) => void): string => {
    const fields = JSON.parse(signed(label)) as Record<string, unknown>
    change(fields)
    return JSON.stringify(fields)
  }
  const flip = signed('flip')
  const at = flip.indexOf('s14-t-flip') + 's14-t-'.length
  return [
    // One byte of the data changed (s14-t-flip -> s14-t-glip): still valid JSON, still a registered job.
    { label: 'flipped byte', raw: flip.slice(0, at) + 'g' + flip.slice(at + 1), defect: 'mismatch' },
    { label: 'changed job name', raw: edit('name', (f) => Object.assign(f, { job: 'SoakBatchMemberJob', displayName: 'SoakBatchMemberJob' })), defect: 'mismatch' },
    { label: 'attempts reset in the payload', raw: edit('attempts', (f) => (f.attempts = 0)), defect: 'mismatch' },
    { label: 'maxTries raised', raw: edit('tries', (f) => (f.maxTries = 1000)), defect: 'mismatch' },
    { label: 'no signature', raw: edit('unsigned', (f) => delete f.signature), defect: 'missing' },
    { label: 'unsigned producer', raw: encodeJob(new SoakJob('s14-t-keyless', 0), {}, { signer: null, encrypter: null }).payload, defect: 'missing' },
    { label: 'another key', raw: encodeJob(new SoakJob('s14-t-otherkey', 0), {}, keyedSecurity(generateKey())).payload, defect: 'unknown-key' },
    { label: 'garbage signature', raw: edit('garbage', (f) => (f.signature = 'not-a-signature')), defect: 'malformed' },
  ]
}

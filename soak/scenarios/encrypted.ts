/**
 * Scenario 13: encrypted jobs (`static shouldBeEncrypted = true`) carrying a secret, with APP_KEY set on
 * the workers and the producer; a quarter of them fail for good. Each job checks the secret it got back
 * against a digest and logs it under `password` and `token` keys. Pass: the secret appears 0 times in
 * the stored queue (Redis keys under the prefix, or the jobs table) before and after the run, in
 * failed_jobs (payload and exception), in the workers' stdout/stderr, in storage/logs/kiln.log and in
 * `craft queue:failed` output; the log lines show `password`/`token` as [redacted]; every healthy job
 * finished with the right secret and the failing ones failed with their own error.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import { SecretJob } from '../../tests/fixtures/soak-app/app/Jobs/SecretJob.ts'
import { runCraft } from '../../tests/support/craft.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { result, waitUntil, workerEnv, type Scenario } from './context.ts'
import { keyedSecurity, occurrences, pushRaw, storedQueueText } from './keyed.ts'

const FAIL_EVERY = 4
const LOG_FILE = join(soakApp, 'storage', 'logs', 'kiln.log')

export const encryptedJobs: Scenario = {
  id: '13',
  title: 'encrypted job secrets',
  queues: ['default'],
  async run(context) {
    const startedAt = Date.now()
    const key = generateKey()
    const secret = `s3cr3t-${randomBytes(12).toString('hex')}`
    const digest = createHash('sha256').update(secret).digest('hex')
    const jobs = context.ci ? 40 : 400
    const failing = Math.floor(jobs / FAIL_EVERY)
    const logOffset = existsSync(LOG_FILE) ? statSync(LOG_FILE).size : 0
    const security = keyedSecurity(key)
    await pushRaw(
      context,
      Array.from({ length: jobs }, (_, i) => encodeJob(new SecretJob(`s13-${i}`, secret, digest, i % FAIL_EVERY === FAIL_EVERY - 1), {}, security).payload),
    )
    const queued = await storedQueueText(context)
    const env = workerEnv(context, { APP_KEY: key })
    const supervisor = new Supervisor({
      basePath: soakApp,
      env,
      args: [context.backend.connection, '--sleep=1', '--tries=3', `--timeout=${RETRY_AFTER - 1}`, '--concurrency=2'],
    })
    const workers = supervisor.start(2)
    try {
      await waitUntil(async () => context.ledger.finishedKeys('s13-') >= jobs - failing && (await context.backend.failedJobs()).length >= failing, 60_000, 250)
      await supervisor.stopAll('SIGTERM')
      const drained = await storedQueueText(context)
      const failedRows = await context.backend.failedJobs()
      const listed = await runCraft(['queue:failed'], { basePath: soakApp, env, timeoutMs: 60_000 })
      const output = workers.map((w) => `${w.stdout}\n${w.stderr}`).join('\n')
      const logFile = existsSync(LOG_FILE) ? readFileSync(LOG_FILE, 'utf8').slice(logOffset) : ''

      const places: [string, string][] = [
        ['the queue before the run', queued],
        ['the queue after the run', drained],
        ['failed_jobs', JSON.stringify(failedRows)],
        ['worker stdout/stderr', output],
        ['kiln.log', logFile],
        ['queue:failed output', `${listed.stdout}\n${listed.stderr}`],
      ]
      const reasons: string[] = []
      const found = places.map(([where, text]) => [where, occurrences(text, secret)] as const).filter(([, n]) => n > 0)
      for (const [where, n] of found) reasons.push(`the secret appears ${n}× in ${where}`)
      // The checks above must be able to fail: the jobs were stored (encrypted) and did log.
      if (occurrences(queued, '"encrypted":true') < jobs) reasons.push(`only ${occurrences(queued, '"encrypted":true')} of ${jobs} stored payloads marked encrypted`)
      const logLines = output.split('\n').filter((line) => line.includes('SecretJob handled its secret'))
      if (logLines.length < jobs) reasons.push(`${logLines.length} log lines for ${jobs} jobs on stdout`)
      const unredacted = logLines.filter((line) => !/"password":"\[redacted\]"/.test(line) || !/"token":"\[redacted\]"/.test(line) || !/"user":\{"password":"\[redacted\]","token":"\[redacted\]"\}/.test(line))
      if (unredacted.length > 0) reasons.push(`${unredacted.length} log lines without password/token redacted: ${unredacted[0]?.slice(0, 160)}`)
      if (!logFile.includes('SecretJob handled its secret')) reasons.push('kiln.log has no line of this run')
      if (listed.code !== 0 || occurrences(listed.stdout, 'SecretJob') < Math.min(failing, 1)) reasons.push(`queue:failed exited ${listed.code} listing ${occurrences(listed.stdout, 'SecretJob')} SecretJob rows`)

      const counts = context.ledger.counts('s13-', jobs)
      const lost = counts.lost - failing
      if (lost !== 0) reasons.push(`${lost} healthy jobs lost`)
      const wrongFailures = failedRows.filter((row) => !row.exception.includes('card declined on purpose'))
      if (failedRows.length !== failing || wrongFailures.length > 0) reasons.push(`${failedRows.length} failed (want ${failing}), ${wrongFailures.length} not with their own error: ${wrongFailures[0]?.exception.split('\n')[0]?.slice(0, 120)}`)
      return result(context, this, startedAt, {
        lost,
        duplicates: counts.duplicates,
        failed: failedRows.length,
        passLine: 'secret 0× in queue store, failed_jobs, worker output, kiln.log, queue:failed; password/token [redacted]; healthy lost=0',
        notes: [`${jobs} jobs, ${failing} failing`, `${logLines.length} log lines redacted`, `searched ${places.map(([where, text]) => `${where} ${(text.length / 1024).toFixed(0)} KiB`).join(', ')}`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

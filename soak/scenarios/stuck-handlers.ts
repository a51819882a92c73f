/**
 * Scenario 5: a hung handler (`await new Promise(() => {})`) and a CPU-bound one (`while (true) {}`), timeout
 * 2 s, tries 2, on queue "stuck", while healthy jobs keep arriving on "default"; every worker serves both
 * queues and the supervisor restarts whatever dies. Pass: each stuck attempt ends within timeout + 2 s,
 * both jobs fail after their tries with a timeout message, healthy jobs' p99 wait ≤ 5 s.
 */
import { StuckJob, type StuckKind } from '../../tests/fixtures/soak-app/app/Jobs/StuckJob.ts'
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { soakApp } from '../backends.ts'
import { Supervisor, type WorkerProcess } from '../supervisor.ts'
import { dispatch, percentile, result, sleep, waitUntil, workerEnv, type Scenario } from './context.ts'

const KINDS: StuckKind[] = ['hang', 'spin']
const TIMEOUT = 2
const TRIES = 2

export const stuckHandlers: Scenario = {
  id: '5',
  title: 'hung and CPU-bound',
  queues: ['stuck', 'default'],
  async run(context) {
    const startedAt = Date.now()
    const uuids = new Set(await dispatch(context, KINDS.map((kind) => new StuckJob(`s5-x-${kind}`, kind)), 'stuck'))
    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [context.backend.connection, '--queue=stuck,default', '--sleep=1', '--tries=0', '--timeout=4'],
      respawn: true,
    })
    // Four workers: two can hang at once and their replacements need a moment to boot; one is left for "default".
    supervisor.start(4)
    // The wait is measured during the hang: from the moment both stuck jobs hold a worker.
    await waitUntil(() => context.ledger.executions('s5-x-').length >= KINDS.length, 60_000, 100)
    const dispatchedAt = new Map<string, number>()
    const stuckFailed = async () => (await context.backend.failedJobs()).filter((row) => uuids.has(row.uuid))
    try {
      // Healthy jobs arrive every 100 ms until both stuck jobs have failed (at least 20 s after the start).
      let healthy = 0
      const until = Date.now() + 120_000
      while (Date.now() < until && (Date.now() - startedAt < 20_000 || (await stuckFailed()).length < KINDS.length)) {
        const key = `s5-h-${healthy++}`
        dispatchedAt.set(key, Date.now())
        await dispatch(context, [new SoakJob(key, 2)])
        await sleep(100)
      }
      await waitUntil(() => context.ledger.finishedKeys('s5-h-') >= healthy, 60_000)
      await supervisor.stopAll('SIGTERM')

      const counts = context.ledger.counts('s5-h-', healthy)
      const failedRows = await context.backend.failedJobs()
      const stuckRows = failedRows.filter((row) => uuids.has(row.uuid))
      const waits = context.ledger
        .executions('s5-h-')
        .filter((run, i, all) => all.findIndex((other) => other.key === run.key) === i)
        .map((run) => run.startedAt - (dispatchedAt.get(run.key) ?? run.startedAt))
        .sort((a, b) => a - b)
      const p99 = percentile(waits, 0.99) ?? 0
      const attempts = KINDS.map((kind) => context.ledger.executions(`s5-x-${kind}`).map((run) => attemptEnd(supervisor.all, run.pid, run.startedAt) - run.startedAt))
      const reasons: string[] = []
      if (counts.lost !== 0) reasons.push(`${counts.lost} healthy lost`)
      if (stuckRows.length !== KINDS.length) reasons.push(`${KINDS.length - stuckRows.length} stuck jobs not failed`)
      for (const row of stuckRows) if (!/timed out/i.test(row.exception)) reasons.push(`failed without a timeout message: ${row.exception.split('\n')[0]}`)
      if (failedRows.length !== stuckRows.length) reasons.push(`${failedRows.length - stuckRows.length} healthy jobs failed`)
      KINDS.forEach((kind, i) => {
        const runs = attempts[i]!
        if (runs.length > TRIES) reasons.push(`${kind} ran ${runs.length} times > tries ${TRIES}`)
        const longest = Math.max(0, ...runs)
        if (longest > (TIMEOUT + 2) * 1000) reasons.push(`${kind} attempt lasted ${(longest / 1000).toFixed(1)}s > ${TIMEOUT + 2}s`)
      })
      if (p99 > 5000) reasons.push(`healthy p99 wait ${(p99 / 1000).toFixed(1)}s > 5s`)
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed: failedRows.length,
        passLine: `attempts<=${TIMEOUT + 2}s, failed after ${TRIES} tries with timeout message, healthy p99 wait<=5s`,
        notes: [
          ...KINDS.map((kind, i) => `${kind} attempts ${attempts[i]!.map((ms) => `${(ms / 1000).toFixed(1)}s`).join(',')}`),
          `codes ${stuckRows.map((row) => /E_[A-Z_]+/.exec(row.exception)?.[0] ?? '?').join(',')}`,
          `${healthy} healthy, p99 wait ${(p99 / 1000).toFixed(1)}s`,
        ],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

/** When a stuck attempt ended: its worker reported the failure (timed out, watchdog) or exited. */
function attemptEnd(workers: WorkerProcess[], pid: number, startedAt: number): number {
  const worker = workers.find((w) => w.pid === pid)
  if (!worker) return Number.POSITIVE_INFINITY
  const line = worker.failLines.find((l) => l.at >= startedAt && /StuckJob|watchdog|timed out/.test(l.line))
  return Math.min(line?.at ?? Number.POSITIVE_INFINITY, worker.exit?.at ?? Date.now())
}

/**
 * Scenario 4: poison jobs that take their worker down (process.exit, an exception thrown from a timer,
 * heap exhaustion under NODE_OPTIONS=--max-old-space-size) among healthy jobs, the supervisor restarting
 * whatever dies. Pass: each poison job in failed_jobs after at most `tries` claims, every healthy job done.
 */
import type { Job } from '../../framework/queue/job.ts'
import { PoisonJob, type PoisonKind } from '../../tests/fixtures/soak-app/app/Jobs/PoisonJob.ts'
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { dispatch, result, waitUntil, workerEnv, type Scenario } from './context.ts'

const KINDS: PoisonKind[] = ['exit', 'timer-throw', 'oom']
const TRIES = 3

export const poisonJobs: Scenario = {
  id: '4',
  title: 'poison jobs',
  queues: ['default'],
  async run(context) {
    const healthy = context.ci ? 150 : 2000
    const startedAt = Date.now()
    const jobs: Job[] = Array.from({ length: healthy }, (_, i) => new SoakJob(`s4-h-${i}`, 2))
    const poison = KINDS.map((kind) => new PoisonJob(`s4-p-${kind}`, kind))
    // Spread the poison through the healthy jobs.
    poison.forEach((job, i) => jobs.splice(Math.floor(((i + 1) * healthy) / (KINDS.length + 1)), 0, job))
    const uuids = await dispatch(context, jobs)
    const poisonUuids = new Set(jobs.flatMap((job, i) => (job instanceof PoisonJob ? [uuids[i]!] : [])))

    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context, { NODE_OPTIONS: '--max-old-space-size=96' }),
      args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`],
      respawn: true,
    })
    supervisor.start(3)
    const failedPoison = async () => (await context.backend.failedJobs()).filter((row) => poisonUuids.has(row.uuid))
    try {
      const budgetMs = (TRIES + 1) * (RETRY_AFTER + 5) * 1000 + 60_000
      await waitUntil(async () => context.ledger.finishedKeys('s4-h-') >= healthy && (await failedPoison()).length === KINDS.length, budgetMs, 500)
      await supervisor.stopAll('SIGTERM')

      const counts = context.ledger.counts('s4-h-', healthy)
      const failedRows = await context.backend.failedJobs()
      const failedIds = new Set((await failedPoison()).map((row) => row.uuid))
      const claims = KINDS.map((kind) => context.ledger.executions(`s4-p-${kind}`).length)
      const reasons: string[] = []
      if (counts.lost !== 0) reasons.push(`${counts.lost} healthy jobs lost`)
      if (failedIds.size !== KINDS.length) reasons.push(`${KINDS.length - failedIds.size} poison jobs not in failed_jobs`)
      if (failedRows.length !== failedIds.size) reasons.push(`${failedRows.length - failedIds.size} healthy jobs failed`)
      KINDS.forEach((kind, i) => {
        if (claims[i]! > TRIES) reasons.push(`${kind} ran ${claims[i]} times > tries ${TRIES}`)
      })
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed: failedRows.length,
        passLine: `3 poison in failed_jobs, runs<=${TRIES} each, healthy lost=0`,
        notes: [`${healthy} healthy`, `runs ${KINDS.map((kind, i) => `${kind}=${claims[i]}`).join(' ')}`, `${supervisor.crashed.length} worker deaths restarted`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

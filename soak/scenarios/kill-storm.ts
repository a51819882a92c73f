/**
 * Scenario 1: N short jobs, 5 workers, a random worker SIGKILLed every K seconds and restarted at once.
 * Pass: lost = 0, failed = 0, duplicates ≤ kills × concurrency, drained within retry_after + 30 s of the
 * last kill.
 */
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { dispatch, result, sleep, waitUntil, workerEnv, type Scenario } from './context.ts'

const WORKERS = 5
const CONCURRENCY = 2

export const killStorm: Scenario = {
  id: '1',
  title: 'SIGKILL storm',
  queues: ['default'],
  async run(context) {
    const jobs = context.ci ? 2000 : 100_000
    const killEveryMs = context.ci ? 1000 : 2000
    const startedAt = Date.now()
    await dispatch(
      context,
      Array.from({ length: jobs }, (_, i) => new SoakJob(`s1-${i}`, 2)),
    )
    context.log(`dispatched ${jobs}`)
    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, `--concurrency=${CONCURRENCY}`, '--memory=1024'],
      respawn: true,
    })
    supervisor.start(WORKERS)
    const done = () => context.ledger.finishedKeys('s1-') >= jobs
    try {
      while (!done()) {
        await sleep(killEveryMs)
        if (!done()) supervisor.killRandom()
      }
      const lastKill = supervisor.lastKillAt || Date.now()
      const drainBudgetMs = (RETRY_AFTER + 30) * 1000
      await waitUntil(async () => (await context.backend.driver.size('default')) === 0, Math.max(0, lastKill + drainBudgetMs - Date.now()))
      const drainedAt = Date.now()
      const size = await context.backend.driver.size('default')
      await supervisor.stopAll('SIGTERM')

      const counts = context.ledger.counts('s1-', jobs)
      const failed = (await context.backend.failedJobs()).length
      const allowed = supervisor.kills * CONCURRENCY
      const drainSeconds = (drainedAt - lastKill) / 1000
      const reasons: string[] = []
      if (counts.lost !== 0) reasons.push(`${counts.lost} lost`)
      if (failed !== 0) reasons.push(`${failed} failed`)
      if (counts.duplicates > allowed) reasons.push(`${counts.duplicates} duplicates > ${allowed}`)
      if (size !== 0) reasons.push(`queue not drained (${size} left) within ${RETRY_AFTER + 30}s of the last kill`)
      const crashes = supervisor.crashed.filter((w) => w.exit?.code !== 0)
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed,
        passLine: `lost=0 failed=0 dup<=kills*${CONCURRENCY}=${allowed} drained<=${RETRY_AFTER + 30}s`,
        notes: [`${jobs} jobs`, `${supervisor.kills} kills every ${killEveryMs / 1000}s`, `drained ${Math.max(0, drainSeconds).toFixed(1)}s after last kill`, `${counts.starts - counts.executions} runs cut off mid-job`, `${crashes.length} unplanned exits`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

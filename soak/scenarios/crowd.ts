/**
 * Scenario 6: many workers, many jobs, no faults, on every SQL engine (where claims race hardest).
 * Pass: lost = 0, duplicates = 0 exactly, failed = 0, every worker exits 0, and no deadlock or
 * serialization error reaches a worker's output.
 */
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor } from '../supervisor.ts'
import { dispatch, result, waitUntil, workerEnv, type Scenario } from './context.ts'

export const crowd: Scenario = {
  id: '6',
  title: 'crowd, no faults',
  queues: ['default'],
  drivers: ['sqlite', 'pgsql', 'mysql'],
  async run(context) {
    const workers = context.ci ? 6 : 20
    const jobs = context.ci ? 1500 : 50_000
    const startedAt = Date.now()
    await dispatch(
      context,
      Array.from({ length: jobs }, (_, i) => new SoakJob(`s6-${i}`, 1)),
    )
    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, '--stop-when-empty', '--memory=1024'],
    })
    const started = supervisor.start(workers)
    try {
      const finished = await supervisor.waitForExits(started, context.ci ? 240_000 : 1_800_000)
      await waitUntil(() => context.ledger.finishedKeys('s6-') >= jobs, 10_000)
      const counts = context.ledger.counts('s6-', jobs)
      const failed = (await context.backend.failedJobs()).length
      const bad = started.filter((worker) => worker.exit?.code !== 0)
      const contention = started.filter((worker) => /deadlock|serializ|SQLITE_BUSY|database is locked|lock wait timeout/i.test(`${worker.stdout}${worker.stderr}`))
      const reasons: string[] = []
      if (!finished) reasons.push('workers still running at the deadline')
      if (counts.lost !== 0) reasons.push(`${counts.lost} lost`)
      if (counts.duplicates !== 0) reasons.push(`${counts.duplicates} duplicates`)
      if (failed !== 0) reasons.push(`${failed} failed`)
      if (bad.length > 0) reasons.push(`${bad.length} workers exited non-zero: ${bad[0]?.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
      if (contention.length > 0) reasons.push(`${contention.length} workers printed a lock/deadlock error`)
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed,
        passLine: 'lost=0 dup=0 exactly failed=0, no deadlock/serialization error shown',
        notes: [`${jobs} jobs`, `${workers} workers`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

/**
 * Scenario 7: graceful stop. Jobs of 3 s (1 s in CI) on 4 workers; `queue:restart` (every worker
 * finishes its job and exits 0; the supervisor starts the next generation), then SIGTERM (the same), then
 * the rest drained. Pass: every exit code 0, no execution cut off, executions = jobs exactly.
 */
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { runCraft } from '../../tests/support/craft.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import { Supervisor, type WorkerProcess } from '../supervisor.ts'
import { dispatch, result, sleep, waitUntil, workerEnv, type Scenario } from './context.ts'

const WORKERS = 4

export const gracefulStop: Scenario = {
  id: '7',
  title: 'graceful stop',
  queues: ['default'],
  async run(context) {
    const jobs = context.ci ? 24 : 200
    const jobMs = context.ci ? 1000 : 3000
    const startedAt = Date.now()
    await dispatch(
      context,
      Array.from({ length: jobs }, (_, i) => new SoakJob(`s7-${i}`, jobMs)),
    )
    const env = workerEnv(context)
    const args = [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${Math.max(RETRY_AFTER - 1, Math.ceil(jobMs / 1000) + 1)}`]
    const supervisor = new Supervisor({ basePath: soakApp, env, args })
    const reasons: string[] = []
    const starts = () => context.ledger.counts('s7-', jobs).starts
    // A restart can arrive up to 3 s after it is written (the workers' check interval), then the job finishes.
    const exitBudgetMs = jobMs + 3000 + 10_000
    try {
      // Generation 1: busy, then `queue:restart`.
      const first = supervisor.start(WORKERS)
      await waitUntil(() => starts() >= WORKERS, 30_000, 100)
      await sleep(jobMs / 3)
      const restart = await runCraft(['queue:restart'], { basePath: soakApp, env })
      if (restart.code !== 0) reasons.push(`queue:restart exited ${restart.code}: ${restart.stderr.trim()}`)
      if (!(await supervisor.waitForExits(first, exitBudgetMs))) reasons.push('a worker kept running after queue:restart')
      checkExits(first, 'queue:restart', reasons)

      // Generation 2: busy, then SIGTERM.
      const before = starts()
      const second = supervisor.start(WORKERS)
      await waitUntil(() => starts() >= before + WORKERS, 30_000, 100)
      await sleep(jobMs / 3)
      for (const worker of second) worker.child.kill('SIGTERM')
      if (!(await supervisor.waitForExits(second, exitBudgetMs))) reasons.push('a worker kept running after SIGTERM')
      checkExits(second, 'SIGTERM', reasons)

      // Generation 3 drains the rest and stops when the queue is empty.
      const third = supervisor.start(WORKERS, {}, ['--stop-when-empty'])
      if (!(await supervisor.waitForExits(third, (jobs * jobMs) / WORKERS + 60_000))) reasons.push('the drain did not finish')
      checkExits(third, '--stop-when-empty', reasons)

      const counts = context.ledger.counts('s7-', jobs)
      const failed = (await context.backend.failedJobs()).length
      if (counts.executions !== jobs) reasons.push(`executions ${counts.executions} != ${jobs}`)
      if (counts.starts !== counts.executions) reasons.push(`${counts.starts - counts.executions} executions cut off mid-job`)
      if (counts.lost !== 0) reasons.push(`${counts.lost} lost`)
      if (failed !== 0) reasons.push(`${failed} failed`)
      return result(context, this, startedAt, {
        lost: counts.lost,
        duplicates: counts.duplicates,
        failed,
        passLine: `exit codes 0, executions=${jobs} exactly, 0 cut off`,
        notes: [`${jobs} jobs of ${jobMs / 1000}s`, `exits: restart ${codes(first)}, SIGTERM ${codes(second)}`, `${counts.starts} starts`],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

function checkExits(workers: WorkerProcess[], after: string, reasons: string[]): void {
  const bad = workers.filter((worker) => worker.exit?.code !== 0)
  if (bad.length > 0) reasons.push(`after ${after}: exits ${codes(bad)} (${bad[0]?.stderr.trim().split('\n').slice(-2).join(' ')})`)
}

function codes(workers: WorkerProcess[]): string {
  return workers.map((worker) => (worker.exit ? (worker.exit.signal ?? String(worker.exit.code)) : 'running')).join(',')
}

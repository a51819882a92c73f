/**
 * Scenario 2: the server restarts mid-run. The backend runs on a private server (soak/private-servers.ts;
 * Redis with AOF), never the shared one; workers are busy with short jobs when it goes down for a few
 * seconds and comes back. Pass: every worker finishes a job it started after the server accepted
 * connections again within 5 s (Redis) / 10 s (SQL), lost = 0, no worker exits (a worker that dies on a
 * lost connection is what a crash-looping supervisor restarts), and each worker prints at most about one
 * line a second while the server is down.
 */
import { SoakJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import type { PrivateServer } from '../private-servers.ts'
import { Supervisor, type WorkerProcess } from '../supervisor.ts'
import { dispatch, result, sleep, waitUntil, workerEnv, type Scenario, type ScenarioContext } from './context.ts'
import { withPrivateBackend } from './private-backend.ts'

const WORKERS = 3
const CONCURRENCY = 2

/**
 * Lines a worker may print while the server is down: its claim retried once a second, plus one line for
 * each job in flight whose acknowledgement failed as the server went, plus one.
 */
const linesAllowed = (downMs: number) => Math.ceil(downMs / 1000) + CONCURRENCY + 1

const PASS_LINE = 'each worker done with a new job <= 5s (redis) / 10s (SQL) after accept, lost=0, no exits, ~1 line/s while down'

export const serverRestart: Scenario = {
  id: '2',
  title: 'server restart',
  queues: ['default'],
  drivers: ['redis', 'pgsql', 'mysql'],
  run(context) {
    return withPrivateBackend(context, this, PASS_LINE, (context, server, startedAt) => restartRun(context, server, startedAt, this))
  },
}

async function restartRun(context: ScenarioContext, server: PrivateServer, startedAt: number, scenario: Scenario): Promise<ReturnType<typeof result>> {
  const jobs = context.ci ? 900 : 20_000
  const jobMs = context.ci ? 20 : 5
  const downMs = context.ci ? 5000 : 10_000
  const budgetMs = server.kind === 'redis' ? 5000 : 10_000
  await dispatch(
    context,
    Array.from({ length: jobs }, (_, i) => new SoakJob(`s2-${i}`, jobMs)),
  )
  context.log(`dispatched ${jobs}`)
  const supervisor = new Supervisor({
    basePath: soakApp,
    env: workerEnv(context),
    args: [context.backend.connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, `--concurrency=${CONCURRENCY}`, '--memory=1024'],
    respawn: true,
  })
  const workers = supervisor.start(WORKERS)
  const lines = new Map(workers.map((worker) => [worker, timedLines(worker)]))
  try {
    // Mid-run: a quarter of the jobs done, every worker busy.
    await waitUntil(() => context.ledger.finishedKeys('s2-') >= jobs / 4, 120_000)
    const stoppedAt = Date.now()
    await server.stop()
    context.log(`server stopped after ${context.ledger.finishedKeys('s2-')} jobs; down for ${downMs / 1000}s`)
    await sleep(downMs)
    await server.start()
    const acceptedAt = server.acceptedAt
    context.log(`server accepting again (start took ${server.timings.startMs} ms)`)

    const recoveredAt = () => firstFinishesSince(context, acceptedAt)
    await waitUntil(() => {
      const firsts = recoveredAt()
      return workers.every((worker) => firsts.has(worker.pid))
    }, budgetMs + 30_000)
    await waitUntil(() => context.ledger.finishedKeys('s2-') >= jobs, (RETRY_AFTER + 120) * 1000)
    await supervisor.stopAll('SIGTERM')

    const counts = context.ledger.counts('s2-', jobs)
    const failed = (await context.backend.failedJobs()).length
    const firsts = recoveredAt()
    const recoveries = workers.map((worker) => {
      const at = firsts.get(worker.pid)
      return at === undefined ? null : at - acceptedAt
    })
    const slowest = recoveries.some((ms) => ms === null) ? null : Math.max(...(recoveries as number[]))
    const outageLines = workers.map((worker) => (lines.get(worker) ?? []).filter((line) => line.at >= stoppedAt && line.at <= acceptedAt && !JOB_LINE.test(line.text)))
    const noisiest = Math.max(0, ...outageLines.map((l) => l.length))
    const exits = supervisor.crashed
    const reasons: string[] = []
    if (counts.lost !== 0) reasons.push(`${counts.lost} lost`)
    if (slowest === null) reasons.push(`${recoveries.filter((ms) => ms === null).length} worker(s) never finished a job after the restart`)
    else if (slowest > budgetMs) reasons.push(`slowest worker finished its first job ${(slowest / 1000).toFixed(1)}s after the restart > ${budgetMs / 1000}s`)
    if (exits.length > 0) reasons.push(`${exits.length} worker exit(s): ${exits.map((w) => `${w.pid} ${w.exit?.code ?? w.exit?.signal}: ${lastLines(w)}`).join(' | ')}`)
    if (noisiest > linesAllowed(downMs)) {
      const sample = outageLines.find((l) => l.length === noisiest)?.slice(0, 3).map((line) => line.text) ?? []
      reasons.push(`a worker printed ${noisiest} lines in ${downMs / 1000}s of outage > ${linesAllowed(downMs)} (${sample.join(' / ')})`)
    }
    return result(context, scenario, startedAt, {
      lost: counts.lost,
      duplicates: counts.duplicates,
      failed,
      passLine: `${PASS_LINE} (${budgetMs / 1000}s here, <= ${linesAllowed(downMs)} lines)`,
      notes: [
        `${jobs} jobs`,
        `down ${downMs / 1000}s`,
        `workers back after ${recoveries.map((ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)}s`)).join(', ')}`,
        `outage lines per worker ${outageLines.map((l) => l.length).join(', ')}`,
        `${exits.length} unplanned exits`,
      ],
      reasons,
    })
  } finally {
    await supervisor.stopAll('SIGKILL', 1000)
  }
}

/** `  2026-11-23 18:00:00 SoakJob ...... RUNNING` / `DONE`: the per-job lines, not error output. */
const JOB_LINE = /\s(RUNNING|DONE)\s*$/

/** Every line the worker prints, with when it arrived (the supervisor keeps only the text). */
function timedLines(worker: WorkerProcess): { at: number; text: string }[] {
  const lines: { at: number; text: string }[] = []
  const note = (chunk: string | Buffer) => {
    const at = Date.now()
    for (const text of chunk.toString().split('\n')) if (text.trim() !== '') lines.push({ at, text: text.trim() })
    // Only the outage window matters; cap memory on a long run.
    if (lines.length > 200_000) lines.splice(0, 100_000)
  }
  worker.child.stdout?.on('data', note)
  worker.child.stderr?.on('data', note)
  return lines
}

/** Per pid, when it first finished a job it started at or after `since` (so claimed after the restart). */
function firstFinishesSince(context: ScenarioContext, since: number): Map<number, number> {
  const firsts = new Map<number, number>()
  for (const row of context.ledger.executions('s2-')) {
    if (row.startedAt < since || row.finishedAt === null) continue
    const first = firsts.get(row.pid)
    if (first === undefined || row.finishedAt < first) firsts.set(row.pid, row.finishedAt)
  }
  return firsts
}

/** Why it died, as it said: its last stderr lines, else its last stdout lines. */
function lastLines(worker: WorkerProcess): string {
  const text = worker.stderr.trim() || worker.stdout.trim()
  return text.split('\n').slice(-3).join(' / ').slice(0, 400)
}

/**
 * Scenario 9: a batch of N members with allowFailures (every 50th fails for good), a healthy batch, and
 * a chain of 10, worked by 4 workers × concurrency 2 while a random worker is SIGKILLed every 1–2 s (CI:
 * every 1 s) and restarted. Callbacks and chain steps record `<label>@<queue job id>` in the ledger, so
 * the number of distinct ids is how often the bus pushed them.
 *
 * Pass: healthy members lost = 0 and duplicates ≤ kills × concurrency; the failing batch's catch and
 * finally pushed exactly once and its `then` never (as in Laravel, `then` means every job succeeded:
 * failed members stay pending); the healthy batch's then and finally exactly once, catch never; the
 * counters exact (total = members, failed = failing members = failed_jobs rows, pending = failed for the
 * failing batch and 0 for the healthy one); every chain step pushed once, each started only after the
 * previous one finished; the queue drained within retry_after + 30 s of the last kill. A kill between a
 * job's batch count and its ack is covered by the per-job marks (tests/drivers/batch-crash-window.test.ts):
 * no miss is tolerated.
 */
import { Bus } from '../../framework/bus/bus-facade.ts'
import type { Batch } from '../../framework/bus/batch.ts'
import { BatchRepository } from '../../framework/bus/batch-repository.ts'
import { SoakBatchMemberJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakBatchMemberJob.ts'
import { SoakTracedJob } from '../../tests/fixtures/soak-app/app/Jobs/SoakTracedJob.ts'
import { RETRY_AFTER, soakApp } from '../backends.ts'
import type { Ledger } from '../ledger.ts'
import { Supervisor } from '../supervisor.ts'
import { result, sleep, waitUntil, workerEnv, type Scenario } from './context.ts'

const WORKERS = 4
const CONCURRENCY = 2
const FAIL_EVERY = 50
const CHAIN_STEPS = 10
export const batchChain: Scenario = {
  id: '9',
  title: 'batch + chain under kills',
  queues: ['default'],
  async run(context) {
    const members = context.ci ? 150 : 1000
    const healthyMembers = context.ci ? 30 : 200
    const failing = Math.floor(members / FAIL_EVERY)
    const killEvery = () => (context.ci ? 1000 : 1000 + Math.random() * 1000)
    const connection = context.backend.connection
    const { ledger } = context
    const startedAt = Date.now()
    // Batches dispatched here are counted in the job_batches table of the backend's database, which the
    // workers use too (for Redis: the SQLite file that also holds failed_jobs).
    const app = context.backend.app
    app.instance('bus.batches', new BatchRepository(() => app.make('db').connection(), 'job_batches', app.config('database').default))

    // The chain first, so its steps interleave with the batches' members.
    await Bus.chain(Array.from({ length: CHAIN_STEPS }, (_, i) => new SoakTracedJob(`s9-c-${i + 1}`, 100)))
      .onConnection(connection)
      .dispatch()
    const mixed = await Bus.batch(Array.from({ length: members }, (_, i) => new SoakBatchMemberJob(`s9-am-${i}`, (i + 1) % FAIL_EVERY === 0, 30)))
      .allowFailures()
      .then(new SoakTracedJob('s9-cb-a-then'))
      .catch(new SoakTracedJob('s9-cb-a-catch'))
      .finally(new SoakTracedJob('s9-cb-a-finally'))
      .name('soak-9-mixed')
      .onConnection(connection)
      .dispatch()
    const healthy = await Bus.batch(Array.from({ length: healthyMembers }, (_, i) => new SoakBatchMemberJob(`s9-bm-${i}`, false, 30)))
      .then(new SoakTracedJob('s9-cb-b-then'))
      .catch(new SoakTracedJob('s9-cb-b-catch'))
      .finally(new SoakTracedJob('s9-cb-b-finally'))
      .name('soak-9-healthy')
      .onConnection(connection)
      .dispatch()
    context.log(`dispatched a chain of ${CHAIN_STEPS}, a batch of ${members} (${failing} failing) and one of ${healthyMembers}`)

    const supervisor = new Supervisor({
      basePath: soakApp,
      env: workerEnv(context),
      args: [connection, '--sleep=1', '--tries=0', `--timeout=${RETRY_AFTER - 1}`, `--concurrency=${CONCURRENCY}`, '--memory=1024'],
      respawn: true,
    })
    supervisor.start(WORKERS)
    const done = () =>
      ledger.finishedKeys('s9-am-') >= members - failing &&
      ledger.finishedKeys('s9-bm-') >= healthyMembers &&
      ['s9-c-10@', 's9-cb-a-catch@', 's9-cb-a-finally@', 's9-cb-b-then@', 's9-cb-b-finally@'].every((prefix) => ledger.finishedKeys(prefix) > 0)
    // A lost update would leave `finally` unpushed forever: give up once nothing has moved for 4 s (no new
    // ledger row, and nothing queued: size() counts reserved jobs, so a killed worker's are included).
    const deadline = Date.now() + (context.ci ? 180_000 : 600_000)
    let lastRows = -1
    let stillSince = Date.now()
    try {
      while (!done() && Date.now() < deadline && Date.now() - stillSince < 4000) {
        await sleep(killEvery())
        if (!done()) killWorking(supervisor)
        const rows = ledger.executions('s9-').length
        if (rows !== lastRows || (await context.backend.driver.size('default')) > 0) stillSince = Date.now()
        lastRows = rows
      }
      const completed = done()
      const lastKill = supervisor.lastKillAt || Date.now()
      await waitUntil(async () => (await context.backend.driver.size('default')) === 0, Math.max(0, lastKill + (RETRY_AFTER + 30) * 1000 - Date.now()))
      // A callback pushed twice would show up here, as a job left or a second id in the ledger.
      await sleep(1000)
      const size = await context.backend.driver.size('default')
      await supervisor.stopAll('SIGTERM')

      const reasons: string[] = []
      if (!completed) reasons.push('stalled: a chain step or callback was never pushed')
      if (size !== 0) reasons.push(`queue not drained (${size} left) within ${RETRY_AFTER + 30}s of the last kill`)
      const a = ledger.counts('s9-am-', members - failing)
      const b = ledger.counts('s9-bm-', healthyMembers)
      const duplicates = a.duplicates + b.duplicates
      const allowed = supervisor.kills * CONCURRENCY
      if (a.lost + b.lost !== 0) reasons.push(`${a.lost + b.lost} healthy members lost`)
      if (duplicates > allowed) reasons.push(`${duplicates} duplicates > ${allowed}`)

      const pushes: [string, number][] = [
        ['s9-cb-a-then', 0],
        ['s9-cb-a-catch', 1],
        ['s9-cb-a-finally', 1],
        ['s9-cb-b-then', 1],
        ['s9-cb-b-catch', 0],
        ['s9-cb-b-finally', 1],
      ]
      for (const [label, want] of pushes) {
        const got = pushedIds(ledger, label)
        if (got.pushed !== want) reasons.push(`${label.slice(6)} pushed ${got.pushed}× (want ${want})`)
        if (got.pushed > got.finished) reasons.push(`${label.slice(6)} pushed but never finished`)
      }
      reasons.push(...chainProblems(ledger))

      const failedRows = await context.backend.failedJobs()
      const failingKeys = new Set(Array.from({ length: failing }, (_, k) => `s9-am-${(k + 1) * FAIL_EVERY - 1}`))
      const failedKeys = failedRows.map((row) => (JSON.parse(row.payload) as { data?: { key?: string } }).data?.key ?? '?')
      if (failedRows.length !== failing || !failedKeys.every((key) => failingKeys.has(key))) reasons.push(`failed_jobs holds ${failedRows.length} rows (want the ${failing} failing members)`)
      reasons.push(...counterProblems('mixed', await mixed.fresh(), { total: members, pending: failing, failed: failing, finished: false }))
      reasons.push(...counterProblems('healthy', await healthy.fresh(), { total: healthyMembers, pending: 0, failed: 0, finished: true }))

      const crashes = supervisor.crashed.filter((w) => w.exit?.code !== 0)
      const errorLines = supervisor.all.flatMap((w) => w.stderr.split('\n').filter((line) => /error/i.test(line)))
      return result(context, this, startedAt, {
        lost: a.lost + b.lost,
        duplicates,
        failed: failedRows.length,
        passLine: `healthy lost=0 dup<=kills*${CONCURRENCY}=${allowed}; then/catch/finally pushed 0/1/1 (mixed) 1/0/1 (healthy); counters exact; chain 1..${CHAIN_STEPS} once, in order`,
        notes: [
          `${members}+${healthyMembers} members, ${failing} failing`,
          `${supervisor.kills} kills`,
          `${a.starts + b.starts - a.executions - b.executions} member runs cut off`,
          `mixed batch total/pending/failed ${describeCounts(await mixed.fresh())}`,
          `${crashes.length} unplanned exits`,
          ...(errorLines.length > 0 ? [`${errorLines.length} worker error lines, first: ${errorLines[0]?.trim().slice(0, 160)}`] : []),
        ],
        reasons,
      })
    } finally {
      await supervisor.stopAll('SIGKILL', 1000)
    }
  },
}

/**
 * SIGKILLs a random worker that is already processing jobs and starts its replacement, as
 * Supervisor.killRandom does, but never one still booting and only while two are working: on a loaded
 * machine a worker can take longer to start than the kill interval, and killing those stalls the run.
 */
function killWorking(supervisor: Supervisor): boolean {
  const working = supervisor.live.filter((worker) => worker.stdout.includes('Processing jobs'))
  const victim = working[Math.floor(Math.random() * working.length)]
  if (!victim || working.length < 2) return false
  victim.killed = true
  victim.child.kill('SIGKILL')
  supervisor.kills++
  supervisor.lastKillAt = Date.now()
  supervisor.start(1)
  return true
}

/** How often the bus pushed `label` (distinct queue job ids) and how many of those pushes finished. */
function pushedIds(ledger: Ledger, label: string): { pushed: number; finished: number } {
  const rows = ledger.executions(`${label}@`)
  return { pushed: new Set(rows.map((row) => row.key)).size, finished: new Set(rows.filter((row) => row.finishedAt !== null).map((row) => row.key)).size }
}

/** Each step pushed once and finished; its first start not before the previous step's first finish. */
function chainProblems(ledger: Ledger): string[] {
  const problems: string[] = []
  let previousFinish = 0
  for (let step = 1; step <= CHAIN_STEPS; step++) {
    const rows = ledger.executions(`s9-c-${step}@`)
    const ids = new Set(rows.map((row) => row.key)).size
    const finishes = rows.flatMap((row) => (row.finishedAt === null ? [] : [row.finishedAt]))
    if (ids === 0) {
      problems.push(`chain step ${step} never pushed`)
      break
    }
    if (ids !== 1) problems.push(`chain step ${step} pushed ${ids}×`)
    if (finishes.length === 0) {
      problems.push(`chain step ${step} never finished`)
      break
    }
    const firstStart = Math.min(...rows.map((row) => row.startedAt))
    if (firstStart < previousFinish) problems.push(`chain step ${step} started before step ${step - 1} finished`)
    previousFinish = Math.min(...finishes)
  }
  return problems
}

function counterProblems(name: string, batch: Batch | null, want: { total: number; pending: number; failed: number; finished: boolean }): string[] {
  if (!batch) return [`the ${name} batch is gone from job_batches`]
  const problems: string[] = []
  if (batch.totalJobs !== want.total || batch.pendingJobs !== want.pending || batch.failedJobs !== want.failed) {
    problems.push(`${name} batch total/pending/failed ${describeCounts(batch)} (want ${want.total}/${want.pending}/${want.failed})`)
  }
  const ids = batch.failedJobIds.length
  if (new Set(batch.failedJobIds).size !== ids || ids !== want.failed) problems.push(`${name} batch lists ${ids} failed job ids (want ${want.failed} distinct)`)
  if (batch.finished() !== want.finished) problems.push(`${name} batch ${batch.finished() ? 'finished' : 'not finished'}`)
  if (batch.cancelled()) problems.push(`${name} batch cancelled`)
  return problems
}

function describeCounts(batch: Batch | null): string {
  return batch ? `${batch.totalJobs}/${batch.pendingJobs}/${batch.failedJobs}` : 'gone'
}

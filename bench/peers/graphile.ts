/**
 * graphile-worker, the fastest PostgreSQL job queue for Node: enqueue one at a time, bulk enqueue, and a
 * worker process with a no-op task, in its defaults or its batched mode (a local queue of 500 jobs and
 * completions batched with no delay, as its performance docs suggest).
 */
import type { Task, TaskArgs } from '../protocol.ts'
import type { ServerConnectionConfig } from '../../framework/database/config.ts'
import { type BenchJobData, Meter } from '../meter.ts'
import { chunks, sharedClock, sleep, timedSince } from '../stats.ts'

const TASK = 'noop'

/** `addJob` one job at a time, awaiting each. */
export const enqueueOneByOne: Task = async (args) => {
  const utils = await workerUtils(args)
  try {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) await utils.addJob(TASK, {})
    return timedSince(args.jobs, start)
  } finally {
    await utils.release()
  }
}

/** `addJobs` in batches of 1,000. */
export const enqueueBulk: Task = async (args) => {
  const utils = await workerUtils(args)
  try {
    const specs = Array.from({ length: args.jobs }, () => ({ identifier: TASK, payload: {} }))
    const start = sharedClock()
    for (const batch of chunks(specs, 1000)) await utils.addJobs(batch)
    return timedSince(args.jobs, start)
  } finally {
    await utils.release()
  }
}

/** Jobs spaced `spacingMs` apart, each carrying its send time, for an idle worker to time. */
export const produceSpaced: Task = async (args) => {
  const utils = await workerUtils(args)
  try {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) {
      const data: BenchJobData = { sentAt: sharedClock() }
      await utils.addJob(TASK, data)
      await sleep(args.spacingMs ?? 15)
    }
    return timedSince(args.jobs, start)
  } finally {
    await utils.release()
  }
}

/** One worker process (`run()`) at `concurrency`, until it has started `jobs` no-op jobs. */
export const work: Task = async (args, signals) => {
  const { run } = await import('graphile-worker')
  const meter = new Meter(args.jobs, args.rssCheckpoints)
  const runner = await run({
    connectionString: connectionString(args),
    concurrency: args.concurrency ?? 1,
    noHandleSignals: true,
    logger: await quietLogger(),
    taskList: { [TASK]: async (payload) => meter.hit((payload as BenchJobData | null)?.sentAt) },
    ...(args.mode === 'batched' ? { preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } } } : {}),
  })
  signals.ready()
  await meter.done
  const result = meter.result(args.mode === 'batched' ? 'localQueue.size=500, completeJobBatchDelay=0' : 'defaults')
  await runner.stop()
  return result
}

async function workerUtils(args: TaskArgs) {
  const { makeWorkerUtils } = await import('graphile-worker')
  const utils = await makeWorkerUtils({ connectionString: connectionString(args), logger: await quietLogger() })
  await utils.migrate()
  return utils
}

function connectionString(args: TaskArgs): string {
  if (args.target.kind !== 'sql' || args.target.engine !== 'pgsql') throw new Error('graphile-worker runs on PostgreSQL only')
  const config = args.target.config as ServerConnectionConfig
  return `postgres://${config.username}@${config.host}:${config.port}/${config.database}`
}

/** graphile-worker logs every job at info level; keep warnings and errors only. */
async function quietLogger() {
  const { Logger } = await import('graphile-worker')
  return new Logger(() => (level: string, message: string) => {
    if (level === 'error' || level === 'warning') console.error(`[graphile-worker] ${message}`)
  })
}

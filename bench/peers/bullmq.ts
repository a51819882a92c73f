/**
 * BullMQ on the same Redis: `add` one at a time, `addBulk` of 1,000, and a `Worker` process with a no-op
 * processor. Jobs are removed on completion, as Kiln deletes a finished job, so both keep Redis equally
 * small.
 */
import type { Task, TaskArgs } from '../protocol.ts'
import { type BenchJobData, Meter } from '../meter.ts'
import { chunks, sharedClock, sleep, timedSince } from '../stats.ts'

const QUEUE = 'bench'
const JOB = 'noop'
const jobOptions = { removeOnComplete: true, removeOnFail: true }

/** `queue.add` one job at a time, awaiting each. */
export const enqueueOneByOne: Task = async (args) =>
  withQueue(args, async (queue) => {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) await queue.add(JOB, {}, jobOptions)
    return timedSince(args.jobs, start)
  })

/** `queue.addBulk` in batches of 1,000. */
export const enqueueBulk: Task = async (args) =>
  withQueue(args, async (queue) => {
    const jobs = Array.from({ length: args.jobs }, () => ({ name: JOB, data: {}, opts: jobOptions }))
    const start = sharedClock()
    for (const batch of chunks(jobs, 1000)) await queue.addBulk(batch)
    return timedSince(args.jobs, start)
  })

/** Jobs spaced `spacingMs` apart, each carrying its send time, for an idle worker to time. */
export const produceSpaced: Task = async (args) =>
  withQueue(args, async (queue) => {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) {
      const data: BenchJobData = { sentAt: sharedClock() }
      await queue.add(JOB, data, jobOptions)
      await sleep(args.spacingMs ?? 15)
    }
    return timedSince(args.jobs, start)
  })

/** One worker process at `concurrency`, until it has started `jobs` no-op jobs. */
export const work: Task = async (args, signals) => {
  const { Worker } = await import('bullmq')
  const meter = new Meter(args.jobs, args.rssCheckpoints)
  const worker = new Worker(
    QUEUE,
    async (job) => {
      meter.hit((job.data as BenchJobData).sentAt)
    },
    { ...connection(args), concurrency: args.concurrency ?? 1 },
  )
  await worker.waitUntilReady()
  signals.ready()
  await meter.done
  const result = meter.result()
  await worker.close()
  return result
}

type BullQueue = import('bullmq').Queue

async function withQueue<T>(args: TaskArgs, use: (queue: BullQueue) => Promise<T>): Promise<T> {
  const { Queue } = await import('bullmq')
  const queue = new Queue(QUEUE, connection(args))
  try {
    await queue.waitUntilReady()
    return await use(queue)
  } finally {
    await queue.close()
  }
}

function connection(args: TaskArgs) {
  if (args.target.kind !== 'redis') throw new Error('BullMQ runs on Redis only')
  const { host, port, prefix } = args.target
  // A worker's blocking connection must not give up on retries (BullMQ requires it).
  return { prefix, connection: { host, port, maxRetriesPerRequest: null } }
}

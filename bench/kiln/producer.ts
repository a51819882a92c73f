/**
 * Kiln's producer side, as application code writes it: `BenchNoop.dispatch()` one at a time, and
 * `Queue.bulk(jobs)` in batches of 1,000.
 */
// First: the application must load before any job module (see app.ts).
import { benchApp, CONNECTION, migrate } from './app.ts'
import { Queue } from '../../framework/queue/queue-facade.ts'
import type { Task, TaskArgs } from '../protocol.ts'
import { chunks, sharedClock, sleep, timedSince } from '../stats.ts'
import { BenchNoop } from './noop-job.ts'

/** `await BenchNoop.dispatch()` one job at a time. */
export const enqueueOneByOne: Task = (args) =>
  withApp(args, async () => {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) await BenchNoop.dispatch()
    return timedSince(args.jobs, start)
  })

/** `Queue.bulk(jobs)` in batches of 1,000. */
export const enqueueBulk: Task = (args) =>
  withApp(args, async () => {
    const jobs = Array.from({ length: args.jobs }, () => new BenchNoop())
    const start = sharedClock()
    for (const batch of chunks(jobs, 1000)) await Queue.bulk(batch)
    return timedSince(args.jobs, start)
  })

/** Jobs spaced `spacingMs` apart, each carrying its send time, for an idle worker to time. */
export const produceSpaced: Task = (args) =>
  withApp(args, async () => {
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) {
      await BenchNoop.dispatch(sharedClock())
      await sleep(args.spacingMs ?? 15)
    }
    return timedSince(args.jobs, start)
  })

async function withApp<T>(args: TaskArgs, use: () => Promise<T>): Promise<T> {
  const app = await benchApp(args.target)
  try {
    if (args.target.kind === 'sql') await migrate(app)
    // Connected before the clock starts, as a running app is (and as BullMQ's waitUntilReady() is): the
    // driver opens its sockets on first use, so size() is the cheapest call that makes them.
    await (await app.make('queue').connection(CONNECTION)).size()
    return await use()
  } finally {
    await app.shutdown()
  }
}

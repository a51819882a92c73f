/**
 * One Kiln worker process: the real `Worker` (framework/queue/worker/worker.ts, what `queue:work` runs)
 * at `--concurrency=N` (and `--prefetch=500` in the `prefetch` mode), with BenchNoop registered, until it has
 * started `jobs` jobs.
 */
// First: the application must load before any job module (see app.ts).
import { benchApp, CONNECTION, migrate } from './app.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { Meter } from '../meter.ts'
import type { Task } from '../protocol.ts'
import { BenchNoop, reportTo } from './noop-job.ts'
import { PREFETCH } from './prefetch.ts'

export const work: Task = async (args, signals) => {
  const app = await benchApp(args.target)
  try {
    // A no-op when the producer already migrated; lets a worker start on an empty database too.
    if (args.target.kind === 'sql') await migrate(app)
    ;(await app.make('jobs').ready()).register(BenchNoop)
    const meter = new Meter(args.jobs, args.rssCheckpoints)
    reportTo(meter)
    const prefetch = args.mode === 'prefetch' ? PREFETCH : 0
    const options = workerOptions({ name: 'bench', concurrency: args.concurrency ?? 1, memory: 1_000_000, prefetch })
    const worker = new Worker(app, CONNECTION, options, {
      listenForSignals: false,
      onError: (error) => console.error('[kiln worker]', error),
    })
    const stopped = worker.daemon()
    // The daemon opens its connection first; the orchestrator may produce once it is open.
    await app.make('queue').connection(CONNECTION)
    signals.ready()
    await Promise.race([meter.done, stopped.then((reason) => Promise.reject(new Error(`the worker stopped early: ${reason.reason}`)))])
    const result = meter.result(`Worker, --concurrency=${options.concurrency}${prefetch > 0 ? ` --prefetch=${prefetch}` : ''}`)
    worker.stop()
    await stopped
    // Every job started once and the worker acknowledged them all: nothing may be left behind.
    result.leftover = await (await app.make('queue').connection(CONNECTION)).size()
    return result
  } finally {
    await app.shutdown()
  }
}

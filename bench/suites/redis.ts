/**
 * The Redis suite (issue 4): Kiln's Redis driver and worker against BullMQ 5 on the same Redis, no-op
 * jobs, one worker process. With `--rss`, also the long run: worker memory after 100,000 jobs and its
 * growth from the 20,000th job on.
 */
import { runChild } from '../process.ts'
import type { Section, Target } from '../report.ts'
import type { Recorder } from '../recorder.ts'
import { fillThenDrain, idleLatency, type SuiteOptions } from '../scenarios.ts'
import { freshRedisPrefix, reachable } from '../servers.ts'
import type { TaskName } from '../tasks.ts'

interface System {
  key: string
  enqueue: TaskName
  bulk: TaskName
  produce: TaskName
  work: TaskName
}

const kiln: System = { key: 'kiln', enqueue: 'kiln.enqueue', bulk: 'kiln.bulk', produce: 'kiln.produce', work: 'kiln.work' }
const bullmq: System = { key: 'bullmq', enqueue: 'bullmq.enqueue', bulk: 'bullmq.bulk', produce: 'bullmq.produce', work: 'bullmq.work' }

const WIDE = 50

export async function redisSuite(options: SuiteOptions, recorder: Recorder): Promise<Section[]> {
  if (!(await reachable('redis'))) return [{ title: 'Redis: SKIPPED (server not reachable)', rows: [], notes: [] }]
  for (let r = 0; r < options.repeat; r++) {
    process.stderr.write(`Redis, repeat ${r + 1}/${options.repeat}\n`)
    const order = r % 2 === 0 ? [kiln, bullmq] : [bullmq, kiln]
    for (const system of order) await throughput(system, options, recorder)
    for (const system of order) {
      await recorder.attempt(`redis ${system.key} latency`, async () => {
        const latencies = await idleLatency(freshRedisPrefix, system.produce, system.work, options)
        recorder.logLatency(system.key, latencies)
        recorder.add(`redis.${system.key}.latency`, ...latencies)
      })
    }
  }
  const rss = options.rss
  if (rss) for (const system of [kiln, bullmq]) await recorder.attempt(`redis ${system.key} long run`, () => longRun(system, rss, recorder))
  const peer = 'BullMQ'
  const rows: Section['rows'] = [
    { metric: 'enqueue one at a time', unit: 'jobs/s', kiln: 'redis.kiln.enqueue', peer: { label: 'BullMQ add', key: 'redis.bullmq.enqueue' }, target: ratio('>=', 1.3) },
    { metric: 'bulk enqueue, batches of 1,000', unit: 'jobs/s', kiln: 'redis.kiln.bulk', peer: { label: 'BullMQ addBulk', key: 'redis.bullmq.bulk' }, target: ratio('>=', 1.5) },
    { metric: 'processed, concurrency 1', unit: 'jobs/s', kiln: 'redis.kiln.c1', peer: { label: peer, key: 'redis.bullmq.c1' }, target: ratio('>=', 1.2) },
    { metric: `processed, concurrency ${WIDE}`, unit: 'jobs/s', kiln: `redis.kiln.c${WIDE}`, peer: { label: peer, key: `redis.bullmq.c${WIDE}` }, target: ratio('>=', 1.5) },
    { metric: 'dispatch->handler p50, idle worker', unit: 'ms', kiln: 'redis.kiln.latency', peer: { label: peer, key: 'redis.bullmq.latency' }, aggregate: 'p50', target: ratio('<=', 1.0) },
    { metric: 'dispatch->handler p99, idle worker', unit: 'ms', kiln: 'redis.kiln.latency', peer: { label: peer, key: 'redis.bullmq.latency' }, aggregate: 'p99', target: ratio('<=', 1.0) },
    { metric: `worker RSS after the concurrency-${WIDE} run`, unit: 'MB', kiln: 'redis.kiln.rss', peer: { label: peer, key: 'redis.bullmq.rss' } },
  ]
  if (rss) {
    rows.push(
      { metric: `worker RSS after ${count(rss.to)} jobs`, unit: 'MB', kiln: 'redis.kiln.rssLong', peer: { label: peer, key: 'redis.bullmq.rssLong' }, target: absolute('<=', 100) },
      { metric: `RSS growth, job ${count(rss.from)} -> ${count(rss.to)}`, unit: '%', kiln: 'redis.kiln.growth', peer: { label: peer, key: 'redis.bullmq.growth' }, target: absolute('<=', 10) },
    )
  }
  return [
    {
      title: 'Redis: Kiln Redis driver + worker vs BullMQ 5',
      rows,
      notes: [
        `${count(options.jobs)} no-op jobs per run, ${options.repeat} repeat(s): medians, and ratio = median of the per-repeat Kiln/peer ratios; a key prefix of its own per run; each worker is a process of its own.`,
        'processing rate = jobs between the first and the last handler start (worker start-up excluded), the queue filled beforehand.',
        'BullMQ jobs are added with removeOnComplete/removeOnFail (Kiln deletes a finished job too).',
        `latency: ${options.latencyJobs} jobs per repeat dispatched ${options.spacingMs} ms apart from another process; percentiles over all repeats.`,
        rss ? `long run: ${count(rss.to)} jobs bulk-added, one worker at concurrency ${WIDE}, once per system.` : 'worker RSS after 100,000 jobs: run with --rss.',
      ],
    },
  ]
}

async function throughput(system: System, options: SuiteOptions, recorder: Recorder): Promise<void> {
  await recorder.attempt(`redis ${system.key} enqueue + concurrency 1`, async () => {
    const one = await fillThenDrain(freshRedisPrefix, system.enqueue, system.work, { jobs: options.jobs, concurrency: 1 })
    recorder.log(`${system.key} enqueue one at a time`, one.produced)
    recorder.log(`${system.key} processed, concurrency 1`, one.worked)
    recorder.add(`redis.${system.key}.enqueue`, one.produced.rate)
    recorder.add(`redis.${system.key}.c1`, one.worked.rate)
  })
  await recorder.attempt(`redis ${system.key} bulk + concurrency ${WIDE}`, async () => {
    const bulk = await fillThenDrain(freshRedisPrefix, system.bulk, system.work, { jobs: options.jobs, concurrency: WIDE })
    recorder.log(`${system.key} bulk enqueue`, bulk.produced)
    recorder.log(`${system.key} processed, concurrency ${WIDE}`, bulk.worked)
    recorder.add(`redis.${system.key}.bulk`, bulk.produced.rate)
    recorder.add(`redis.${system.key}.c${WIDE}`, bulk.worked.rate)
    if (bulk.worked.rssMb !== undefined) recorder.add(`redis.${system.key}.rss`, bulk.worked.rssMb)
  })
}

/** `to` jobs through one worker: its RSS at the `from`th and at the `to`th handler start. */
async function longRun(system: System, rss: { from: number; to: number }, recorder: Recorder): Promise<void> {
  process.stderr.write(`Redis, ${system.key} long run (${count(rss.to)} jobs)\n`)
  const scratch = await freshRedisPrefix()
  try {
    await runChild(system.bulk, { target: scratch.target, jobs: rss.to })
    const worked = await runChild(system.work, { target: scratch.target, jobs: rss.to, concurrency: WIDE, rssCheckpoints: [rss.from, rss.to] }, 900_000)
    recorder.log(`${system.key} processed, concurrency ${WIDE}`, worked)
    const from = worked.rssAt?.[rss.from]
    const to = worked.rssAt?.[rss.to]
    if (from === undefined || to === undefined) throw new Error('the worker did not report RSS at both checkpoints')
    process.stderr.write(`  ${system.key} RSS: ${from.toFixed(1)} MB at job ${rss.from}, ${to.toFixed(1)} MB at job ${rss.to}\n`)
    recorder.add(`redis.${system.key}.rssLong`, to)
    recorder.add(`redis.${system.key}.growth`, ((to - from) / from) * 100)
  } finally {
    await scratch.drop()
  }
}

function ratio(op: '>=' | '<=', value: number): Target {
  return { kind: 'ratio', op, value }
}

function absolute(op: '>=' | '<=', value: number): Target {
  return { kind: 'absolute', op, value }
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}

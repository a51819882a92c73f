/**
 * The database suite (issue 3): Kiln's database driver and worker against graphile-worker (defaults and
 * batched) on the same PostgreSQL, against raw better-sqlite3 on SQLite in WAL mode, and against a raw
 * loop on MariaDB. Kiln and its peer alternate who goes first in each repeat, so drift in the machine's
 * load falls on both.
 */
import type { Recorder } from '../recorder.ts'
import { fillThenDrain, idleLatency, rawLoop, type SuiteOptions } from '../scenarios.ts'
import type { Section } from '../report.ts'
import { freshDatabase, reachable, type SqlEngine } from '../servers.ts'
import type { TaskName } from '../tasks.ts'
import { PREFETCH } from '../kiln/prefetch.ts'

interface System {
  key: string
  enqueue: TaskName
  bulk: TaskName
  produce: TaskName
  work: TaskName
  mode?: string
}

const kiln: System = { key: 'kiln', enqueue: 'kiln.enqueue', bulk: 'kiln.bulk', produce: 'kiln.produce', work: 'kiln.work' }
const graphile: System = { key: 'graphile', enqueue: 'graphile.enqueue', bulk: 'graphile.bulk', produce: 'graphile.produce', work: 'graphile.work', mode: 'defaults' }

export async function databaseSuite(options: SuiteOptions, recorder: Recorder): Promise<Section[]> {
  const sections: Section[] = []
  if (await reachable('pgsql')) sections.push(await postgres(options, recorder))
  else sections.push(skipped('PostgreSQL'))
  sections.push(await sqlite(options, recorder))
  if (await reachable('mysql')) sections.push(await mariadb(options, recorder))
  else sections.push(skipped('MariaDB/MySQL'))
  return sections
}

async function postgres(options: SuiteOptions, recorder: Recorder): Promise<Section> {
  for (let r = 0; r < options.repeat; r++) {
    process.stderr.write(`PostgreSQL, repeat ${r + 1}/${options.repeat}\n`)
    const order = r % 2 === 0 ? [kiln, graphile] : [graphile, kiln]
    for (const system of order) await throughput('pg', 'pgsql', system, options, recorder, 10)
    // Batched against batched: Kiln's --prefetch against graphile-worker's localQueue, alternating too.
    const batched = [() => recorder.attempt('graphile batched', () => batchedGraphile(options, recorder)), () => prefetched('pg', 'pgsql', options, recorder)]
    for (const run of r % 2 === 0 ? batched.reverse() : batched) await run()
    for (const system of order) await latency('pg', 'pgsql', system, options, recorder)
    for (const lanes of [1, 10]) await raw(`raw pg, ${lanes} in flight`, 'pgsql', 'raw.pg', lanes, `pg.raw.${lanes}`, options, recorder)
  }
  const peer = 'graphile-worker defaults'
  return {
    title: 'PostgreSQL: Kiln database driver + worker vs graphile-worker 0.17',
    rows: [
      { metric: 'enqueue one at a time', unit: 'jobs/s', kiln: 'pg.kiln.enqueue', peer: { label: 'graphile addJob', key: 'pg.graphile.enqueue' }, target: ratio('>=', 1.0) },
      { metric: 'bulk enqueue, batches of 1,000', unit: 'jobs/s', kiln: 'pg.kiln.bulk', peer: { label: 'graphile addJobs', key: 'pg.graphile.bulk' }, target: ratio('>=', 1.0) },
      { metric: 'processed, concurrency 1', unit: 'jobs/s', kiln: 'pg.kiln.c1', peer: { label: peer, key: 'pg.graphile.c1' }, target: ratio('>=', 1.0) },
      { metric: 'processed, concurrency 10', unit: 'jobs/s', kiln: 'pg.kiln.c10', peer: { label: peer, key: 'pg.graphile.c10' }, target: ratio('>=', 1.5) },
      { metric: `processed, concurrency 10, --prefetch=${PREFETCH}`, unit: 'jobs/s', kiln: 'pg.kiln-prefetch.c10', peer: { label: 'graphile-worker batched', key: 'pg.graphile-batched.c10' }, target: ratio('>=', 1.0) },
      { metric: 'dispatch->handler p50, idle worker', unit: 'ms', kiln: 'pg.kiln.latency', peer: { label: peer, key: 'pg.graphile.latency' }, aggregate: 'p50', target: ratio('<=', 1.0) },
      { metric: 'dispatch->handler p99, idle worker', unit: 'ms', kiln: 'pg.kiln.latency', peer: { label: peer, key: 'pg.graphile.latency' }, aggregate: 'p99' },
      { metric: 'worker RSS after the concurrency-10 run', unit: 'MB', kiln: 'pg.kiln.rss', peer: { label: peer, key: 'pg.graphile.rss' } },
      { metric: 'raw INSERT + claim-and-delete, 1 in flight', unit: 'pairs/s', peer: { label: 'raw pg loop', key: 'pg.raw.1' } },
      { metric: 'raw INSERT + claim-and-delete, 10 in flight', unit: 'pairs/s', peer: { label: 'raw pg loop', key: 'pg.raw.10' } },
    ],
    notes: [
      `${options.jobs.toLocaleString('en-US')} no-op jobs per run, ${options.repeat} repeat(s): medians, and ratio = median of the per-repeat Kiln/peer ratios; a fresh database per run; each worker is a process of its own.`,
      'processing rate = jobs between the first and the last handler start (worker start-up excluded), the queue filled beforehand.',
      `graphile-worker batched = preset.worker { localQueue: { size: 500 }, completeJobBatchDelay: 0 }; Kiln's batched mode is the same Worker with --prefetch=${PREFETCH} (claims up to ${PREFETCH} jobs ahead, acknowledges in batches).`,
      `latency: ${options.latencyJobs} jobs per repeat dispatched ${options.spacingMs} ms apart from another process; percentiles over all repeats.`,
    ],
  }
}

async function sqlite(options: SuiteOptions, recorder: Recorder): Promise<Section> {
  for (let r = 0; r < options.repeat; r++) {
    process.stderr.write(`SQLite, repeat ${r + 1}/${options.repeat}\n`)
    await throughput('sqlite', 'sqlite', kiln, options, recorder, 10)
    await prefetched('sqlite', 'sqlite', options, recorder)
    await latency('sqlite', 'sqlite', kiln, options, recorder)
    await raw('raw better-sqlite3 loop', 'sqlite', 'raw.sqlite', 1, 'sqlite.raw', options, recorder)
  }
  return {
    title: 'SQLite (WAL): Kiln database driver + worker vs a raw better-sqlite3 loop',
    rows: [
      { metric: 'enqueue one at a time', unit: 'jobs/s', kiln: 'sqlite.kiln.enqueue' },
      { metric: 'bulk enqueue, batches of 1,000', unit: 'jobs/s', kiln: 'sqlite.kiln.bulk' },
      { metric: 'processed, concurrency 1', unit: 'jobs/s', kiln: 'sqlite.kiln.c1', peer: { label: 'raw loop', key: 'sqlite.raw' } },
      { metric: 'processed, concurrency 10', unit: 'jobs/s', kiln: 'sqlite.kiln.c10', peer: { label: 'raw loop', key: 'sqlite.raw' }, target: ratio('>=', 0.5) },
      { metric: `processed, concurrency 10, --prefetch=${PREFETCH}`, unit: 'jobs/s', kiln: 'sqlite.kiln-prefetch.c10', peer: { label: 'raw loop', key: 'sqlite.raw' } },
      { metric: 'dispatch->handler p50, idle worker', unit: 'ms', kiln: 'sqlite.kiln.latency', aggregate: 'p50' },
      { metric: 'dispatch->handler p99, idle worker', unit: 'ms', kiln: 'sqlite.kiln.latency', aggregate: 'p99' },
      { metric: 'worker RSS after the concurrency-10 run', unit: 'MB', kiln: 'sqlite.kiln.rss' },
    ],
    notes: [
      'raw loop = better-sqlite3, WAL, synchronous=NORMAL: INSERT, UPDATE ... RETURNING (claim), DELETE per job, one connection.',
      'SQLite has no server-side wake-up: a worker in another process than the producer finds new jobs when its --sleep (3 s) poll ends, which the latency shows.',
    ],
  }
}

async function mariadb(options: SuiteOptions, recorder: Recorder): Promise<Section> {
  for (let r = 0; r < options.repeat; r++) {
    process.stderr.write(`MariaDB, repeat ${r + 1}/${options.repeat}\n`)
    await throughput('mysql', 'mysql', kiln, options, recorder, 10)
    await prefetched('mysql', 'mysql', options, recorder)
    await latency('mysql', 'mysql', kiln, options, recorder)
    await raw('raw mariadb loop, 1 in flight', 'mysql', 'raw.mariadb', 1, 'mysql.raw.1', options, recorder)
  }
  const rawLoop1 = { label: 'raw loop, 1 in flight', key: 'mysql.raw.1' }
  return {
    title: 'MariaDB: Kiln database driver + worker (no peer; raw loop for reference)',
    rows: [
      { metric: 'enqueue one at a time', unit: 'jobs/s', kiln: 'mysql.kiln.enqueue' },
      { metric: 'bulk enqueue, batches of 1,000', unit: 'jobs/s', kiln: 'mysql.kiln.bulk' },
      { metric: 'processed, concurrency 1', unit: 'jobs/s', kiln: 'mysql.kiln.c1', peer: rawLoop1 },
      { metric: 'processed, concurrency 10', unit: 'jobs/s', kiln: 'mysql.kiln.c10', peer: rawLoop1 },
      { metric: `processed, concurrency 10, --prefetch=${PREFETCH}`, unit: 'jobs/s', kiln: 'mysql.kiln-prefetch.c10', peer: rawLoop1 },
      { metric: 'dispatch->handler p50, idle worker', unit: 'ms', kiln: 'mysql.kiln.latency', aggregate: 'p50' },
      { metric: 'dispatch->handler p99, idle worker', unit: 'ms', kiln: 'mysql.kiln.latency', aggregate: 'p99' },
      { metric: 'worker RSS after the concurrency-10 run', unit: 'MB', kiln: 'mysql.kiln.rss' },
    ],
    notes: ['raw loop = mysql2: autocommit INSERT, then SELECT ... FOR UPDATE SKIP LOCKED and DELETE in a transaction, one connection.'],
  }
}

/** Enqueue one at a time then drain at concurrency 1; bulk enqueue then drain at `wide`. */
async function throughput(prefix: string, engine: SqlEngine, system: System, options: SuiteOptions, recorder: Recorder, wide: number): Promise<void> {
  const fresh = () => freshDatabase(engine)
  const mode = system.mode ? { mode: system.mode } : {}
  await recorder.attempt(`${prefix} ${system.key} enqueue + concurrency 1`, async () => {
    const one = await fillThenDrain(fresh, system.enqueue, system.work, { jobs: options.jobs, concurrency: 1, ...mode })
    recorder.log(`${system.key} enqueue one at a time`, one.produced)
    recorder.log(`${system.key} processed, concurrency 1`, one.worked)
    recorder.add(`${prefix}.${system.key}.enqueue`, one.produced.rate)
    recorder.add(`${prefix}.${system.key}.c1`, one.worked.rate)
  })
  await recorder.attempt(`${prefix} ${system.key} bulk + concurrency ${wide}`, async () => {
    const bulk = await fillThenDrain(fresh, system.bulk, system.work, { jobs: options.jobs, concurrency: wide, ...mode })
    recorder.log(`${system.key} bulk enqueue`, bulk.produced)
    recorder.log(`${system.key} processed, concurrency ${wide}`, bulk.worked)
    recorder.add(`${prefix}.${system.key}.bulk`, bulk.produced.rate)
    recorder.add(`${prefix}.${system.key}.c${wide}`, bulk.worked.rate)
    if (bulk.worked.rssMb !== undefined) recorder.add(`${prefix}.${system.key}.rss`, bulk.worked.rssMb)
  })
}

/** A raw insert + claim-and-delete loop on a fresh database, `lanes` in flight: the floor each section quotes. */
async function raw(label: string, engine: SqlEngine, task: TaskName, lanes: number, key: string, options: SuiteOptions, recorder: Recorder): Promise<void> {
  await recorder.attempt(label, async () => {
    const result = await rawLoop(() => freshDatabase(engine), task, options.jobs, lanes)
    recorder.log(label, result, 'pairs/s')
    recorder.add(key, result.rate)
  })
}

async function batchedGraphile(options: SuiteOptions, recorder: Recorder): Promise<void> {
  const run = await fillThenDrain(() => freshDatabase('pgsql'), 'graphile.bulk', 'graphile.work', { jobs: options.jobs, concurrency: 10, mode: 'batched' })
  recorder.log('graphile batched processed, concurrency 10', run.worked)
  recorder.add('pg.graphile-batched.c10', run.worked.rate)
}

/** Kiln's batched mode: bulk-filled, drained by the Worker at concurrency 10 with --prefetch (bench/kiln/worker.ts). */
async function prefetched(prefix: string, engine: SqlEngine, options: SuiteOptions, recorder: Recorder): Promise<void> {
  await recorder.attempt(`${prefix} kiln prefetch`, async () => {
    const run = await fillThenDrain(() => freshDatabase(engine), kiln.bulk, kiln.work, { jobs: options.jobs, concurrency: 10, mode: 'prefetch' })
    recorder.log(`kiln processed, concurrency 10, --prefetch=${PREFETCH}`, run.worked)
    recorder.add(`${prefix}.kiln-prefetch.c10`, run.worked.rate)
  })
}

async function latency(prefix: string, engine: SqlEngine, system: System, options: SuiteOptions, recorder: Recorder): Promise<void> {
  await recorder.attempt(`${prefix} ${system.key} latency`, async () => {
    const latencies = await idleLatency(() => freshDatabase(engine), system.produce, system.work, { ...options, ...(system.mode ? { mode: system.mode } : {}) })
    recorder.logLatency(system.key, latencies)
    recorder.add(`${prefix}.${system.key}.latency`, ...latencies)
  })
}

function ratio(op: '>=' | '<=', value: number) {
  return { kind: 'ratio' as const, op, value }
}

function skipped(name: string): Section {
  return { title: `${name}: SKIPPED (server not reachable)`, rows: [], notes: [] }
}

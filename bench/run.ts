/**
 * `npm run bench`: measures Kiln and its peers side by side on the same servers, in one run, and prints
 * Kiln/peer ratios with absolute medians; writes the full result (every sample) to bench/results/.
 *
 *   npm run bench -- [--suite=database|redis|http|all|redis-placement] [--jobs=N] [--repeat=R] [--rss] [--quick]
 *
 * `all` runs the three suites the issues set targets for; redis-placement is a diagnostic run on request.
 *
 * Benchmarks, not tests: nothing here runs under vitest, and no test asserts on a timing.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { environment, evaluate, renderEnvironment, renderSection, type Section } from './report.ts'
import { Recorder } from './recorder.ts'
import type { SuiteOptions } from './scenarios.ts'
import { databaseSuite } from './suites/database.ts'
import { redisSuite } from './suites/redis.ts'
import { redisPlacementSuite } from './suites/redis-placement.ts'
import { httpSuite } from './http-orders.ts'

type SuiteName = 'database' | 'redis' | 'http' | 'redis-placement'

const defaults: Record<SuiteName, { jobs: number }> = {
  // Keeps the database suite near three minutes on a 2-core machine at the issue's rates.
  database: { jobs: 4_000 },
  redis: { jobs: 20_000 },
  'redis-placement': { jobs: 20_000 },
  // Unused: the HTTP suite runs for a fixed time (bench/http-orders.ts).
  http: { jobs: 0 },
}

const argv = process.argv.slice(2)
const { values } = parseArgs({
  args: argv,
  options: {
    suite: { type: 'string', default: 'all' },
    jobs: { type: 'string' },
    repeat: { type: 'string' },
    rss: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
})

const suites = suiteNames(values.suite)
const repeat = positive('repeat', values.repeat) ?? (values.quick ? 1 : 3)
const jobsOverride = positive('jobs', values.jobs)
const env = environment(argv)
const settings = `suites: ${suites.join(', ')} | repeats: ${repeat}${values.quick ? ' | QUICK smoke run: figures are not representative' : ''}`
console.log(`${renderEnvironment(env, settings)}\n`)

const recorder = new Recorder()
const output: { title: string; rows: ReturnType<typeof evaluate>; notes: string[] }[] = []
for (const suite of suites) {
  const options: SuiteOptions = {
    jobs: jobsOverride ?? (values.quick ? defaults[suite].jobs / 10 : defaults[suite].jobs),
    repeat,
    latencyJobs: values.quick ? 20 : 150,
    latencyWarmup: values.quick ? 5 : 10,
    spacingMs: 15,
    rss: values.rss ? (values.quick ? { from: 2_000, to: 10_000 } : { from: 20_000, to: 100_000 }) : null,
  }
  const sections = await runSuite(suite, options)
  for (const section of sections) {
    const rows = evaluate(section, recorder.samples)
    output.push({ title: section.title, rows, notes: section.notes })
    console.log(`\n${renderSection(section.title, rows, section.notes)}`)
  }
}

if (recorder.failures.length > 0) console.log(`\nPROBLEMS (a failed scenario leaves its figures n/a):\n${recorder.failures.map((failure) => `  - ${failure}`).join('\n')}`)

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(resultsDir, { recursive: true })
const file = join(resultsDir, `bench-${env.date.replace(/[:.]/g, '-')}.json`)
writeFileSync(file, `${JSON.stringify({ environment: env, settings: { suites, repeat, jobs: jobsOverride ?? null, rss: values.rss, quick: values.quick }, sections: output, failures: recorder.failures }, null, 2)}\n`)
console.log(`\nresults: ${file}`)

function runSuite(suite: SuiteName, options: SuiteOptions): Promise<Section[]> {
  switch (suite) {
    case 'database':
      return databaseSuite(options, recorder)
    case 'redis':
      return redisSuite(options, recorder)
    case 'redis-placement':
      return redisPlacementSuite(options, recorder)
    case 'http':
      return httpSuite({ repeat, quick: values.quick }, recorder)
  }
}

function suiteNames(value: string | undefined): SuiteName[] {
  if (value === 'all' || value === undefined) return ['database', 'redis', 'http']
  if (value === 'database' || value === 'redis' || value === 'http' || value === 'redis-placement') return [value]
  console.error(`--suite must be database, redis, http, all or redis-placement (got "${value}")`)
  process.exit(1)
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value.replace(/[_,]/g, ''))
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number (got "${value}")`)
    process.exit(1)
  }
  return n
}

/**
 * RateLimited across processes, as a user runs it: two `craft queue:work` processes (three jobs in flight
 * each) on one shared queue database and one shared cache store, working jobs limited to N per D seconds.
 * Each job appends to a ledger when it really runs; it must show every job ran exactly once, over-limit
 * jobs released (not failed), and the limit held for both workers together.
 *
 * Why the counts prove it: the limiter counts in fixed windows of at least D seconds, each opened by a
 * hit that runs a job. So the D seconds after the first run belong to one window (at most N runs, where
 * two separately limited workers would run N each), and runs spanning S seconds fit in at most
 * floor(S / D) + 1 windows.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionConfig } from '../../framework/database/config.ts'
import { Application } from '../../framework/foundation/application.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { RateLimitedJob } from '../fixtures/middleware-app/app/Jobs/RateLimitedJob.ts'
import { repoRoot, runCraft, spawnCraft, waitForOutput } from '../support/craft.ts'
import { createTestDatabase, probeService, type SqlEngine, type TestDatabase } from '../support/services.ts'

const fixtureApp = join(repoRoot, 'tests', 'fixtures', 'middleware-app')
const MAX = 3
const WINDOW_SECONDS = 2
const JOBS = 12

interface Scenario {
  label: string
  engine: SqlEngine
  cacheStore: 'database' | 'redis'
}

const scenarios: Scenario[] = [{ label: 'SQLite queue, database cache store', engine: 'sqlite', cacheStore: 'database' }]
if (await probeService('redis')) scenarios.push({ label: 'SQLite queue, redis cache store', engine: 'sqlite', cacheStore: 'redis' })
if (await probeService('pgsql')) scenarios.push({ label: 'PostgreSQL queue, database cache store', engine: 'pgsql', cacheStore: 'database' })

interface LedgerEntry {
  label: string
  at: number
  attempt: number
}

describe.each(scenarios)('RateLimited across two queue:work processes ($label)', ({ engine, cacheStore }) => {
  const suffix = randomBytes(4).toString('hex')
  const ledgerDir = mkdtempSync(join(tmpdir(), 'kiln-ledger-'))
  const ledger = join(ledgerDir, 'ledger.log')
  let database: TestDatabase
  let app: Application
  let env: Record<string, string>
  const workers: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    env = {
      ...databaseEnv(database.config),
      QUEUE_CONNECTION: 'database',
      CACHE_STORE: cacheStore,
      CACHE_PREFIX: `kiln_mw_${suffix}_`,
      REDIS_PREFIX: `kiln_mw_${suffix}:`,
      MW_RATE_LIMIT: `${MAX}/${WINDOW_SECONDS}`,
      APP_ENV: 'testing',
    }
    const migrated = await runCraft(['migrate', '--force'], { basePath: fixtureApp, env, timeoutMs: 60_000 })
    expect(migrated.code, migrated.stderr).toBe(0)
    app = await Application.create({
      basePath: fixtureApp,
      loadEnv: false,
      config: {
        // Named as config/database.ts names it, so the queue and the failed-job store find it by default.
        database: { default: engine, connections: { [engine]: database.config } },
        queue: { failed: { driver: 'database', database: engine, table: 'failed_jobs' } },
        cache: { prefix: env.CACHE_PREFIX! },
        redis: { options: { prefix: env.REDIS_PREFIX! } },
      },
    })
  }, 90_000)

  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL')
    if (cacheStore === 'redis') await app?.make('cache').store('redis').flush()
    await app?.shutdown()
    await database?.drop()
    rmSync(ledgerDir, { recursive: true, force: true })
  })

  it(`holds ${MAX} jobs per ${WINDOW_SECONDS} s for both workers together, releasing (never failing) the rest`, async () => {
    const output: string[][] = [[], []]
    for (const seen of output) {
      const worker = spawnCraft(['queue:work', '--sleep=0.2', '--concurrency=3'], { basePath: fixtureApp, env })
      worker.stdout?.on('data', (chunk: Buffer) => seen.push(chunk.toString()))
      worker.stderr?.on('data', (chunk: Buffer) => seen.push(chunk.toString()))
      workers.push(worker)
    }
    // Both workers polling before the jobs arrive, so both compete for the first window.
    await Promise.all(workers.map((worker) => waitForOutput(worker, /Processing jobs from/, 30_000)))
    const queue = await app.make('queue').connection('database')
    const labels = Array.from({ length: JOBS }, (_, i) => `job${i}`)
    await queue.bulkRaw(
      // Jobs that run hold their worker's slots a moment, so the other worker gets jobs too.
      labels.map((label) => encodeJob(new RateLimitedJob(ledger, label, 300)).payload),
      'default',
    )

    const deadline = Date.now() + 60_000
    while (readLedger(ledger).length < JOBS && Date.now() < deadline) await sleep(200)
    const exits = workers.map((worker) => new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code))))
    for (const worker of workers) worker.kill('SIGTERM')
    const printed = output.map((seen) => seen.join(''))
    expect(await Promise.all(exits), printed.join('\n')).toEqual([0, 0])

    const entries = readLedger(ledger)
    expect(entries.map((entry) => entry.label).sort(), printed.join('\n')).toEqual([...labels].sort())
    // Both processes took jobs (which of them got to run them is a race).
    for (const text of printed) expect(text).toMatch(/RateLimitedJob \.+ RUNNING/)
    // The limit was reached: some jobs ran only after being released.
    expect(entries.some((entry) => entry.attempt > 1)).toBe(true)
    expect(await queue.size('default')).toBe(0)
    expect(await app.make('queue.failed').all()).toEqual([])

    const times = entries.map((entry) => entry.at).sort((a, b) => a - b)
    const timeline = `ms after the first run: ${times.map((t) => t - times[0]!).join(', ')}`
    // The first run opened the first window, and no other window can open within D of it (0.25 s of slack:
    // a window opens at its hit, a moment before the job writes its line). Separate limiters would let
    // each worker run MAX in there.
    const firstWindow = times.filter((t) => t < times[0]! + WINDOW_SECONDS * 1000 - 250)
    expect(firstWindow.length, timeline).toBeLessThanOrEqual(MAX)
    // Over the whole run: windows open at least D apart, each allowing MAX.
    const spanSeconds = (times.at(-1)! - times[0]!) / 1000
    const windowsOpened = Math.floor((spanSeconds + 0.25) / WINDOW_SECONDS) + 1
    expect(JOBS, timeline).toBeLessThanOrEqual(MAX * windowsOpened)
  }, 120_000)
})

function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [label = '', at = '0', , attempt = '0'] = line.split(' ')
      return { label, at: Number(at), attempt: Number(attempt) }
    })
}

/** The env that points the fixture app's config/database.ts at a test database. */
function databaseEnv(config: ConnectionConfig): Record<string, string> {
  if (config.driver === 'sqlite') return { DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: config.database }
  if (config.driver === 'pgsql') {
    return { DB_CONNECTION: 'pgsql', DB_HOST: config.host, DB_PORT: String(config.port), DB_DATABASE: config.database, DB_USERNAME: config.username, DB_PASSWORD: config.password }
  }
  throw new Error(`no env mapping for ${config.driver}`)
}

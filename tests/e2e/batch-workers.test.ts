/**
 * Batches across processes, as a user runs them: 1,000 jobs of one batch finished by 2 `craft
 * queue:work --concurrency=10` processes on one PostgreSQL database leave exact counters and run
 * `then` and `finally` exactly once. Also `craft queue:prune-batches` on the same database.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Bus } from '../../framework/bus/bus-facade.ts'
import { Application } from '../../framework/foundation/application.ts'
import { BatchCallbackJob } from '../fixtures/batch-app/app/Jobs/BatchCallbackJob.ts'
import { BatchItemJob } from '../fixtures/batch-app/app/Jobs/BatchItemJob.ts'
import { repoRoot, runCraft } from '../support/craft.ts'
import { createTestDatabase, probeService, type TestDatabase } from '../support/services.ts'

const fixture = join(repoRoot, 'tests', 'fixtures', 'batch-app')
const hasPostgres = await probeService('pgsql')

describe.skipIf(!hasPostgres)('batches with 2 worker processes on PostgreSQL', () => {
  let database: TestDatabase
  let app: Application
  let db: Knex
  let env: Record<string, string>

  beforeAll(async () => {
    database = await createTestDatabase('pgsql')
    const config = database.config as { host: string; port: number; database: string; username?: string }
    const key = `base64:${randomBytes(32).toString('base64')}`
    env = {
      APP_KEY: key,
      DB_CONNECTION: 'pgsql',
      DB_HOST: String(config.host),
      DB_PORT: String(config.port),
      DB_DATABASE: config.database,
      DB_USERNAME: config.username ?? 'postgres',
      QUEUE_CONNECTION: 'database',
      CACHE_STORE: 'memory',
      APP_ENV: 'testing',
      LOG_LEVEL: 'error',
    }
    const migrated = await runCraft(['migrate', '--force'], { basePath: fixture, env })
    expect(migrated.stderr).toBe('')
    expect(migrated.code).toBe(0)
    app = await Application.create({
      basePath: fixture,
      loadEnv: false,
      config: {
        app: { key },
        database: { default: 'pgsql', connections: { pgsql: database.config } },
        queue: { default: 'database', batching: { database: 'pgsql', table: 'job_batches' } },
      },
    })
    db = await app.make('db').connection()
  }, 60_000)

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
  })

  it('keeps exact counts and runs then and finally once', async () => {
    const jobs = Array.from({ length: 1000 }, (_, n) => new BatchItemJob(n))
    const batch = await Bus.batch(jobs).then(new BatchCallbackJob('then')).catch(new BatchCallbackJob('catch')).finally(new BatchCallbackJob('finally')).name('big').dispatch()
    expect(batch.totalJobs).toBe(1000)

    const work = () => runCraft(['queue:work', '--concurrency=10', '--stop-when-empty', '--sleep=0'], { basePath: fixture, env, timeoutMs: 150_000 })
    const results = await Promise.all([work(), work()])
    for (const result of results) {
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      // Both processes took part: each finished some of the batch's jobs.
      expect(result.stdout.match(/BatchItemJob.*DONE/g)?.length ?? 0).toBeGreaterThan(0)
    }
    const done = results.map((result) => result.stdout.match(/BatchItemJob.*DONE/g)?.length ?? 0)
    expect((done[0] ?? 0) + (done[1] ?? 0)).toBe(1000)

    const after = await Bus.findBatch(batch.id)
    expect(after).toMatchObject({ totalJobs: 1000, pendingJobs: 0, failedJobs: 0, failedJobIds: [] })
    expect(after?.finished()).toBe(true)
    expect(after?.progress()).toBe(100)

    const kinds = (await db('batch_ledger').select('kind').count({ n: '*' }).countDistinct({ labels: 'label' }).groupBy('kind').orderBy('kind')) as { kind: string; n: unknown; labels: unknown }[]
    expect(kinds.map((row) => [row.kind, Number(row.n), Number(row.labels)])).toEqual([
      ['finally', 1, 1],
      ['item', 1000, 1000],
      ['then', 1, 1],
    ])
    // The callbacks saw the finished batch: nothing pending.
    expect(await db('batch_ledger').whereIn('kind', ['then', 'finally']).pluck('label')).toEqual(['0 pending', '0 pending'])
    expect(Number((await db('jobs').count({ n: '*' }).first())?.n)).toBe(0)
    expect(Number((await db('failed_jobs').count({ n: '*' }).first())?.n)).toBe(0)
  }, 180_000)

  it('queue:prune-batches deletes old finished, unfinished and cancelled batches', async () => {
    await db('job_batches').delete()
    const old = Math.floor(Date.now() / 1000) - 72 * 3600
    const row = (id: string, finished: number | null, cancelled: number | null) => ({
      id,
      name: id,
      total_jobs: 1,
      pending_jobs: finished ? 0 : 1,
      failed_jobs: 0,
      failed_job_ids: '[]',
      options: '{}',
      created_at: old,
      finished_at: finished,
      cancelled_at: cancelled,
    })
    await db('job_batches').insert([row('finished', old, null), row('unfinished', null, null), row('cancelled', null, old), row('recent', null, null)])
    await db('job_batches').where('id', 'recent').update({ created_at: Math.floor(Date.now() / 1000) })

    const first = await runCraft(['queue:prune-batches', '--hours=48'], { basePath: fixture, env })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('1 entry deleted.')
    const second = await runCraft(['queue:prune-batches', '--hours=48', '--unfinished=48', '--cancelled=48'], { basePath: fixture, env })
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('0 entries deleted.')
    // "cancelled" is also unfinished, so --unfinished takes both; --cancelled finds none left.
    expect(second.stdout).toContain('2 unfinished entries deleted.')
    expect(second.stdout).toContain('0 cancelled entries deleted.')
    expect(await db('job_batches').pluck('id')).toEqual(['recent'])

    const invalid = await runCraft(['queue:prune-batches', '--hours=soon'], { basePath: fixture, env })
    expect(invalid.code).not.toBe(0)
  }, 60_000)
})

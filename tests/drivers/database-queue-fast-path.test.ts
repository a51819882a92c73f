/**
 * The database driver's finish-and-fetch path (deleteAndPop) and its lease-loss reporting, on every
 * engine available: the acknowledgement is token-checked and the next jobs are reserved in the same step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import type { Knex } from 'knex'
import { createDatabaseQueue } from '../../framework/queue/drivers/database.ts'
import { dialectFor } from '../../framework/queue/drivers/database-dialect.ts'
import { deleteReservations } from '../../framework/queue/drivers/database-queries.ts'
import { availableEngines, type TestDatabase } from '../support/services.ts'
import { appOn, createQueueDatabase, queueConnectionConfig } from './database-queue-setup.ts'

const RETRY_AFTER = 1

for (const engine of await availableEngines()) {
  describe(`database queue fast path on ${engine}`, () => {
    let database: TestDatabase

    beforeAll(async () => {
      database = await createQueueDatabase(engine)
    })

    afterAll(async () => {
      await database?.drop()
    })

    async function withDriver(run: (driver: Awaited<ReturnType<typeof createDatabaseQueue>>) => Promise<void>): Promise<void> {
      const app = await appOn(database, RETRY_AFTER)
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      try {
        await run(driver)
      } finally {
        await driver.close()
        await app.shutdown()
      }
    }

    /** A driver on a database of its own, never analyzed: for tests that depend on PostgreSQL's statistics. */
    async function withFreshDatabase(run: (driver: Awaited<ReturnType<typeof createDatabaseQueue>>, db: Knex) => Promise<void>): Promise<void> {
      const fresh = await createQueueDatabase(engine)
      const app = await appOn(fresh, RETRY_AFTER)
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      try {
        await run(driver, await app.make('db').connection())
      } finally {
        await driver.close()
        await app.shutdown()
        await fresh.drop()
      }
    }

    /** The lines of PostgreSQL's EXPLAIN for one statement. */
    async function explain(db: Knex, sql: string, bindings: string[] = []): Promise<string> {
      const result = (await db.raw(`EXPLAIN ${sql}`, bindings)) as { rows: { 'QUERY PLAN': string }[] }
      return result.rows.map((row) => row['QUERY PLAN']).join('\n')
    }

    it('acknowledges one job and reserves the next ones in one call', async () => {
      await withDriver(async (driver) => {
        const queue = `dap-${engine}`
        await driver.bulkRaw(['a', 'b', 'c', 'd'], queue)
        const [first] = await driver.pop(queue)
        const next = await driver.deleteAndPop!(first as ReservedJob, queue, 2)
        expect(next.map((job) => job.rawBody)).toEqual(['b', 'c'])
        expect(await driver.size(queue)).toBe(3)
        // Acknowledgements finishing together share one write; each gets at most what it asked for.
        const [left, right] = await Promise.all(next.map((job) => driver.deleteAndPop!(job, queue, 1)))
        expect([...(left ?? []), ...(right ?? [])].map((job) => job.rawBody)).toEqual(['d'])
        expect(await driver.size(queue)).toBe(1)
        const last = [...(left ?? []), ...(right ?? [])][0] as ReservedJob
        expect(await driver.deleteAndPop!(last)).toEqual([])
        expect(await driver.size(queue)).toBe(0)
      })
    })

    it('does not delete a job whose reservation expired and was claimed again, and never hands it out twice', async () => {
      await withDriver(async (driver) => {
        const queue = `dap-stale-${engine}`
        await driver.pushRaw('only', queue)
        const [stale] = await driver.pop(queue)
        await new Promise((resolve) => setTimeout(resolve, (RETRY_AFTER + 1.2) * 1000))
        const [fresh] = await driver.pop(queue)
        expect(fresh?.attempts).toBe(2)
        // The stale ack matches no row and the fresh reservation is live: nothing to claim.
        expect(await driver.deleteAndPop!(stale as ReservedJob, queue, 5)).toEqual([])
        expect(await driver.size(queue)).toBe(1)
        await (fresh as ReservedJob).delete()
        expect(await driver.size(queue)).toBe(0)
      })
    }, 15_000)

    it('reports a lost lease when touch or release finds the reservation gone', async () => {
      await withDriver(async (driver) => {
        const queue = `lease-${engine}`
        await driver.pushRaw('x', queue)
        const [stale] = (await driver.pop(queue)) as ReservedJob[]
        await stale!.touch!()
        expect(stale!.leaseLost).toBe(false)
        await new Promise((resolve) => setTimeout(resolve, (RETRY_AFTER + 1.2) * 1000))
        const [fresh] = (await driver.pop(queue)) as ReservedJob[]
        await stale!.touch!()
        expect(stale!.leaseLost).toBe(true)
        await stale!.release(0)
        expect(await driver.size(queue)).toBe(1)
        await fresh!.touch!()
        expect(fresh!.leaseLost).toBe(false)
        await fresh!.delete()
      })
    }, 15_000)

    it.runIf(engine === 'pgsql')('plans the claim of the next job once, not on every job (PostgreSQL generic plan)', async () => {
      // One pooled connection: the session whose prepared statements we read is the one that claimed.
      const config = { ...(database.config as Exclude<typeof database.config, { driver: 'sqlite' }>), pool: { min: 1, max: 1 } }
      const app = await appOn({ ...database, config }, RETRY_AFTER)
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      try {
        const queue = `plan-${engine}`
        await driver.bulkRaw(Array.from({ length: 2000 }, (_, i) => `j${i}`), queue)
        const db = await app.make('db').connection()
        // Statistics as autovacuum leaves them on a busy queue: array parameters then kept every claim custom-planned.
        await db.raw('ANALYZE jobs')
        let [job] = await driver.pop(queue)
        for (let i = 0; i < 10; i++) [job] = await driver.deleteAndPop!(job as ReservedJob, queue, 1)
        expect(job?.rawBody).toBe('j10')
        const result = await db.raw(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH deleted%'`)
        const plans = (result as { rows: { generic_plans: string; custom_plans: string }[] }).rows
        expect(plans).toHaveLength(1)
        // PostgreSQL tries five custom plans before it trusts a generic one; after that, no more planning.
        expect(Number(plans[0]!.generic_plans)).toBeGreaterThanOrEqual(5)
      } finally {
        await driver.close()
        await app.shutdown()
      }
    })

    it.runIf(engine === 'pgsql')('analyzes a jobs table that filled faster than autovacuum looks, before claiming from it', async () => {
      await withFreshDatabase(async (driver, db) => {
        const queue = `backlog-${engine}`
        await driver.bulkRaw(Array.from({ length: 5000 }, (_, i) => `b${i}`), queue)
        // No statistics on `queue`: the planner would take the queue for a rare value and sort all of it per claim.
        const queueStats = async () => ((await db.raw(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'jobs' AND attname = 'queue'`)) as { rows: { n: number }[] }).rows[0]!.n
        expect(await queueStats()).toBe(0)
        const claimed = await driver.pop(queue, 500)
        expect(claimed.map((job) => job.rawBody).slice(0, 2)).toEqual(['b0', 'b1'])
        expect(await queueStats()).toBe(1)
        expect(await explain(db, 'SELECT id FROM jobs WHERE queue = ? ORDER BY queue, id LIMIT 500', [queue])).not.toMatch(/Sort/)
      })
    })

    it.runIf(engine === 'pgsql')('acknowledges a batch through the primary key even when statistics saw only waiting jobs', async () => {
      await withFreshDatabase(async (driver, db) => {
        const queue = `acks-${engine}`
        await driver.bulkRaw(Array.from({ length: 20_000 }, (_, i) => `a${i}`), queue)
        const dialect = await dialectFor(db)
        // As autovacuum sees a backlog: reserved_at is NULL on every sampled row.
        await db.raw('ANALYZE jobs')
        const jobs = await driver.pop(queue, 300)
        const keys = jobs.map((job) => ({ id: job.id, attempts: job.attempts }))
        let sent = ''
        const recorder = { raw: async (sql: string) => ((sent = sql), { rowCount: 0 }) } as unknown as Knex
        await deleteReservations({ db: recorder, dialect, table: 'jobs' }, keys)
        // Not a scan of the 20,000 rows per acknowledged job (a nested loop), which the planner chose before.
        expect(await explain(db, sent.replace(/^SET LOCAL[^;]*;\s*/, ''))).toMatch(/Index Cond: \(id = ANY/)
        expect(await deleteReservations({ db, dialect, table: 'jobs' }, keys)).toBe(300)
      })
    })

    it('acknowledges the current reservation of a job when a stale one of the same job is in the same batch', async () => {
      await withDriver(async (driver) => {
        const queue = `acks-stale-${engine}`
        await driver.pushRaw('twice', queue)
        const [stale] = await driver.pop(queue)
        await stale!.release(0)
        const [current] = await driver.pop(queue)
        expect(current!.attempts).toBe(2)
        const app = await appOn(database, RETRY_AFTER)
        try {
          const db = await app.make('db').connection()
          const table = { db, dialect: await dialectFor(db), table: 'jobs' }
          expect(await deleteReservations(table, [stale!, current!].map((job) => ({ id: job.id, attempts: job.attempts })))).toBe(1)
          expect(await driver.size(queue)).toBe(0)
        } finally {
          await app.shutdown()
        }
      })
    })

    it.runIf(engine === 'pgsql')('creates the jobs table with room for claims to update rows in place (fillfactor 50)', async () => {
      const app = await appOn(database, RETRY_AFTER)
      try {
        const db = await app.make('db').connection()
        const options = ((await db.raw(`SELECT reloptions FROM pg_class WHERE oid = 'jobs'::regclass`)) as { rows: { reloptions: string[] | null }[] }).rows[0]?.reloptions
        expect(options).toContain('fillfactor=50')
      } finally {
        await app.shutdown()
      }
    })

    it.runIf(engine === 'sqlite')('wakes an idle worker when another process commits a job', async () => {
      await withDriver(async (worker) => {
        const queue = `wake-${engine}`
        // Another Application: its own knex pool, so its own SQLite connection, as another process has.
        const producerApp = await appOn(database, RETRY_AFTER)
        const producer = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), producerApp)
        try {
          const waiting = worker.waitForJobs!([queue], 60_000, new AbortController().signal).then(() => 'woken')
          await new Promise((resolve) => setTimeout(resolve, 50))
          await producer.pushRaw('x', queue)
          const outcome = await Promise.race([waiting, new Promise((resolve) => setTimeout(() => resolve('still asleep'), 10_000))])
          expect(outcome).toBe('woken')
          expect((await worker.pop(queue)).map((job) => job.rawBody)).toEqual(['x'])
        } finally {
          await producer.close()
          await producerApp.shutdown()
        }
      })
    }, 20_000)
  })
}

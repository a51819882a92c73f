import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabaseQueue } from '../../framework/queue/drivers/database.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { runQueueConformance } from './conformance.ts'
import { appOn, createQueueDatabase, queueConnectionConfig, repoRoot } from './database-queue-setup.ts'

const RETRY_AFTER = 1

for (const engine of await availableEngines()) {
  describe(`database queue on ${engine}`, () => {
    let database: TestDatabase

    beforeAll(async () => {
      database = await createQueueDatabase(engine)
    })

    afterAll(async () => {
      await database?.drop()
    })

    /** Each call: its own Application, so its own knex pool (a separate worker's connections). */
    const makeDriver = async () => {
      const app = await appOn(database, RETRY_AFTER)
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      return {
        driver,
        retryAfter: RETRY_AFTER,
        wakeUp: engine === 'pgsql' ? ('server' as const) : ('local' as const),
        cleanup: async () => {
          await driver.close()
          await app.shutdown()
        },
      }
    }

    runQueueConformance(`database (${engine})`, makeDriver)

    it('inserts the job inside a caller transaction, so a rollback leaves no job', async () => {
      const { driver, cleanup } = await makeDriver()
      const app = await appOn(database)
      try {
        const db = await app.make('db').connection()
        const queue = `tx-${engine}`
        await db
          .transaction(async (trx) => {
            await driver.pushRaw('rolled-back', queue, { transaction: trx })
            throw new Error('roll back')
          })
          .catch(() => undefined)
        expect(await driver.size(queue)).toBe(0)
        await db.transaction(async (trx) => {
          await driver.pushRaw('committed', queue, { transaction: trx })
        })
        const [job] = await driver.pop(queue)
        expect(job?.rawBody).toBe('committed')
      } finally {
        await app.shutdown()
        await cleanup()
      }
    })

    it('stores the server clock in unix seconds, as Laravel does', async () => {
      const { driver, cleanup } = await makeDriver()
      const app = await appOn(database)
      try {
        const queue = `clock-${engine}`
        await driver.pushRaw('tick', queue, { delay: 10 })
        const db = await app.make('db').connection()
        const row = (await db('jobs').where({ queue }).first()) as { attempts: number; reserved_at: number | null; available_at: number; created_at: number }
        const now = Date.now() / 1000
        expect(Number(row.attempts)).toBe(0)
        expect(row.reserved_at).toBeNull()
        expect(Math.abs(Number(row.created_at) - now)).toBeLessThan(5)
        expect(Number(row.available_at) - Number(row.created_at)).toBeGreaterThanOrEqual(10)
        expect(Number(row.available_at) - Number(row.created_at)).toBeLessThanOrEqual(11)
      } finally {
        await app.shutdown()
        await cleanup()
      }
    })
  })
}

describe('database queue without its table', () => {
  it('says which table is missing and how to create it (E_QUEUE_TABLE_MISSING)', async () => {
    const database = await createTestDatabase('sqlite')
    const app = await appOn(database)
    try {
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      await expect(driver.pop('default')).rejects.toMatchObject({ code: 'E_QUEUE_TABLE_MISSING' })
      await expect(driver.pushRaw('x')).rejects.toMatchObject({ code: 'E_QUEUE_TABLE_MISSING' })
      await driver.close()
    } finally {
      await app.shutdown()
      await database.drop()
    }
  })
})

describe('database queue on SQLite shared by several processes', () => {
  it('hands every job to exactly one process and never surfaces SQLITE_BUSY', { timeout: 120_000 }, async () => {
    const database = await createQueueDatabase('sqlite')
    const app = await appOn(database)
    try {
      const driver = await createDatabaseQueue('database', queueConnectionConfig(60), app)
      const queue = 'multi-process'
      const ids = await driver.bulkRaw(Array.from({ length: 600 }, (_, i) => `job-${i}`), queue)
      await driver.close()
      const file = (database.config as { database: string }).database
      // A tiny busy_timeout makes SQLITE_BUSY happen for real, so the driver's retry is what keeps them alive.
      const results = await Promise.all([0, 1, 2].map(() => runConsumer(file, queue, 5)))
      const consumed = results.flatMap((result) => result.consumed)
      const pushed = results.flatMap((result) => result.pushed)
      expect(pushed.length).toBeGreaterThan(0)
      expect(consumed).toHaveLength(ids.length + pushed.length)
      expect(new Set(consumed)).toEqual(new Set([...ids, ...pushed]))
    } finally {
      await app.shutdown()
      await database.drop()
    }
  })
})

function runConsumer(file: string, queue: string, busyTimeoutMs: number): Promise<{ consumed: string[]; pushed: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', join(repoRoot, 'framework', 'loader', 'register.mjs'), join(repoRoot, 'tests', 'drivers', 'database-queue-consumer.ts'), file, queue, String(busyTimeoutMs)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`consumer exited ${code}: ${stderr}`))
      else resolve(JSON.parse(stdout) as { consumed: string[]; pushed: string[] })
    })
  })
}

describe.runIf((await availableEngines()).includes('pgsql'))('database queue on PostgreSQL: the LISTEN connection', () => {
  it('survives losing its listening connection: waiters wake, the next wait listens again', { timeout: 60_000 }, async () => {
    const database = await createQueueDatabase('pgsql')
    const app = await appOn(database)
    const pusherApp = await appOn(database)
    try {
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      const pusher = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), pusherApp)
      const never = new AbortController().signal
      await driver.waitForJobs!(['lost'], 50, never)
      const admin = await pusherApp.make('db').connection()
      const waiting = driver.waitForJobs!(['lost'], 30_000, never)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const started = Date.now()
      await admin.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`)
      await waiting
      expect(Date.now() - started).toBeLessThan(10_000)

      await driver.waitForJobs!(['lost'], 50, never)
      const woken = Date.now()
      setTimeout(() => void pusher.pushRaw('after-reconnect', 'lost'), 150)
      await driver.waitForJobs!(['lost'], 20_000, never)
      expect(Date.now() - woken).toBeLessThan(10_000)
      await driver.close()
      await pusher.close()
    } finally {
      await pusherApp.shutdown()
      await app.shutdown()
      await database.drop()
    }
  })
})

/**
 * Prefetching on the database driver (`queue:work --prefetch=N`), on every engine available: giving
 * unstarted jobs back is token-checked and uncounts their attempt; a prefetching Worker runs every job
 * once, keeps queue priority within its buffer, acknowledges everything before it stops, and gives its
 * buffered jobs back on a graceful stop.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { ConfigOverrides } from '../../framework/foundation/config.ts'
import type { QueueDriver, ReservedJob } from '../../framework/queue/contracts.ts'
import { createDatabaseQueue } from '../../framework/queue/drivers/database.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { workerOptions, type WorkerOptions } from '../../framework/queue/worker/options.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import { availableEngines, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { appOn, createQueueDatabase, queueConnectionConfig } from './database-queue-setup.ts'

const RETRY_AFTER = 1
const started: string[] = []
let gate: Promise<void> = Promise.resolve()

class Noted extends QueuedJob {
  constructor(public label = '') {
    super()
  }
  async handle() {
    started.push(`${this.label}:${this.attempts()}`)
    await gate
  }
}

for (const engine of await availableEngines()) {
  describe(`database queue prefetch on ${engine}`, () => {
    let database: TestDatabase
    let temp: TempApp
    /** Run last first: drivers close before the apps whose connections they use. */
    const closers: (() => Promise<unknown>)[] = []

    beforeAll(async () => {
      database = await createQueueDatabase(engine)
      temp = makeTempApp()
    }, 60_000)

    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close()
      await database?.drop()
      temp?.cleanup()
    })

    beforeEach(() => {
      started.length = 0
      gate = Promise.resolve()
    })

    async function driverOn(): Promise<QueueDriver> {
      const app = await appOn(database, RETRY_AFTER)
      closers.push(() => app.shutdown())
      const driver = await createDatabaseQueue('database', queueConnectionConfig(RETRY_AFTER), app)
      closers.push(() => driver.close())
      return driver
    }

    /** An app whose `database` connection prefetches `prefetch` jobs unless the worker says otherwise. */
    async function workerApp(prefetch = 0): Promise<Application> {
      const config = {
        database: { default: 'test', connections: { test: database.config } },
        queue: {
          default: 'database',
          connections: { database: { ...queueConnectionConfig(90), connection: 'test', prefetch } },
          failed: { driver: 'null', table: 'failed_jobs' },
        },
        cache: { default: 'memory' },
      } as ConfigOverrides
      const app = await Application.create({ basePath: temp.basePath, loadEnv: false, config })
      closers.push(() => app.shutdown())
      ;(await app.make('jobs').ready()).register(Noted)
      return app
    }

    async function rows(app: Application, queue: string): Promise<{ attempts: number; reserved: boolean }[]> {
      const db: Knex = await app.make('db').connection()
      const found = await db('jobs').where({ queue }).orderBy('id').select('attempts', 'reserved_at')
      return found.map((row: { attempts: unknown; reserved_at: unknown }) => ({ attempts: Number(row.attempts), reserved: row.reserved_at !== null }))
    }

    async function push(app: Application, queue: string, labels: string[]): Promise<void> {
      const driver = await app.make('queue').connection('database')
      await driver.bulkRaw(
        labels.map((label) => encodeJob(new Noted(label)).payload),
        queue,
      )
    }

    function worker(app: Application, options: Partial<WorkerOptions>): Worker {
      return new Worker(app, 'database', workerOptions({ sleep: 0.1, timeout: 0, ...options }), { listenForSignals: false })
    }

    it('gives unstarted jobs back at once, without counting their attempt', async () => {
      const driver = await driverOn()
      const queue = `give-back-${engine}`
      await driver.bulkRaw(['a', 'b', 'c'], queue)
      const buffered = await driver.pop(queue, 3)
      expect(buffered.map((job) => job.attempts)).toEqual([1, 1, 1])
      await driver.releaseUnstarted!(buffered.slice(1))
      const again = await driver.pop(queue, 3)
      expect(again.map((job) => [job.rawBody, job.attempts])).toEqual([
        ['b', 1],
        ['c', 1],
      ])
      // The one kept is still held: giving back the others left it alone.
      expect(await driver.pop(queue, 3)).toEqual([])
      await Promise.all([...again, buffered[0] as ReservedJob].map((job) => job.delete()))
      expect(await driver.size(queue)).toBe(0)
    })

    it('a stale reservation cannot give back (nor delete) a job another worker reserved again', async () => {
      const mine = await driverOn()
      const other = await driverOn()
      const queue = `stale-give-back-${engine}`
      await mine.pushRaw('contested', queue)
      const [stale] = await mine.pop(queue)
      await new Promise((resolve) => setTimeout(resolve, (RETRY_AFTER + 1.2) * 1000))
      const [fresh] = await other.pop(queue)
      expect(fresh?.attempts).toBe(2)

      await mine.releaseUnstarted!([stale as ReservedJob])
      await (stale as ReservedJob).delete()
      // Still reserved by `other`, its attempt still counted: nobody can claim it, and its own token works.
      expect(await mine.pop(queue)).toEqual([])
      expect(await mine.size(queue)).toBe(1)
      await other.releaseUnstarted!([fresh as ReservedJob])
      const [back] = await mine.pop(queue)
      expect(back?.attempts).toBe(2)
      await (back as ReservedJob).delete()
      expect(await mine.size(queue)).toBe(0)
    }, 15_000)

    it('deletes a batch of reservations at once (more than one statement holds), never one another worker reserved again', async () => {
      const mine = await driverOn()
      const other = await driverOn()
      const queue = `delete-many-${engine}`
      await mine.bulkRaw(
        Array.from({ length: 1201 }, (_, i) => `j${i}`),
        queue,
      )
      const [stale] = await mine.pop(queue)
      const held = await mine.pop(queue, 1200)
      await new Promise((resolve) => setTimeout(resolve, (RETRY_AFTER + 1.2) * 1000))
      // Every reservation has expired; the other worker claims the first job again.
      const [fresh] = await other.pop(queue)
      expect([fresh?.rawBody, fresh?.attempts]).toEqual(['j0', 2])

      await mine.deleteMany!([stale as ReservedJob, ...held])
      // The 1,200 this worker still held are gone; the job the other worker holds now is not.
      expect(await mine.size(queue)).toBe(1)
      await (fresh as ReservedJob).delete()
      expect(await mine.size(queue)).toBe(0)
    }, 15_000)

    it('acknowledges a batch and claims the next jobs in one step (a refill carrying its acknowledgements)', async () => {
      const driver = await driverOn()
      const queue = `delete-many-and-pop-${engine}`
      await driver.bulkRaw(['a', 'b', 'c', 'd', 'e', 'f'], queue)
      const first = await driver.pop(queue, 3)
      const next = await driver.deleteManyAndPop!(first.slice(0, 2), queue, 2)
      expect(next.map((job) => [job.rawBody, job.attempts])).toEqual([
        ['d', 1],
        ['e', 1],
      ])
      // a and b are gone; c (not acknowledged), d and e (claimed) and f (waiting) are left.
      expect(await driver.size(queue)).toBe(4)
      expect((await driver.pop(queue, 3)).map((job) => job.rawBody)).toEqual(['f'])
    })

    it('runs every job once and has acknowledged them all when the worker returns', async () => {
      const app = await workerApp()
      const queue = `drain-${engine}`
      const labels = Array.from({ length: 40 }, (_, i) => `j${i}`)
      await push(app, queue, labels)
      const stop = await worker(app, { queues: [queue], concurrency: 3, prefetch: 7, stopWhenEmpty: true }).daemon()
      expect(stop.code).toBe(0)
      expect([...started].sort()).toEqual(labels.map((label) => `${label}:1`).sort())
      expect(await rows(app, queue)).toEqual([])
    })

    it('keeps queue priority within its buffer', async () => {
      const app = await workerApp()
      const [high, low] = [`high-${engine}`, `low-${engine}`]
      await push(app, low, ['l1', 'l2', 'l3'])
      await push(app, high, ['h1', 'h2', 'h3'])
      await worker(app, { queues: [high, low], concurrency: 1, prefetch: 10, stopWhenEmpty: true }).daemon()
      expect(started).toEqual(['h1:1', 'h2:1', 'h3:1', 'l1:1', 'l2:1', 'l3:1'])
    })

    it("takes the connection's prefetch setting, and gives buffered jobs back on a graceful stop", async () => {
      const app = await workerApp(10)
      const queue = `stop-${engine}`
      await push(app, queue, ['s1', 's2', 's3', 's4', 's5'])
      let open: () => void = () => undefined
      gate = new Promise((resolve) => (open = resolve))
      const running = worker(app, { queues: [queue], concurrency: 1 })
      const stopped = running.daemon()
      const deadline = Date.now() + 10_000
      while (started.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      // The first job runs; the other four were claimed with it (attempts counted, reserved).
      expect(started).toEqual(['s1:1'])
      expect(await rows(app, queue)).toEqual(Array.from({ length: 5 }, () => ({ attempts: 1, reserved: true })))
      running.stop()
      open()
      expect((await stopped).code).toBe(0)
      expect(started).toEqual(['s1:1'])
      expect(await rows(app, queue)).toEqual(Array.from({ length: 4 }, () => ({ attempts: 0, reserved: false })))
    })

    it('--prefetch=0 turns off what the connection asks for', async () => {
      const app = await workerApp(10)
      const queue = `off-${engine}`
      await push(app, queue, ['o1', 'o2', 'o3'])
      let open: () => void = () => undefined
      gate = new Promise((resolve) => (open = resolve))
      const running = worker(app, { queues: [queue], concurrency: 1, prefetch: 0 })
      const stopped = running.daemon()
      const deadline = Date.now() + 10_000
      while (started.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await rows(app, queue)).toEqual([
        { attempts: 1, reserved: true },
        { attempts: 0, reserved: false },
        { attempts: 0, reserved: false },
      ])
      running.stop()
      open()
      await stopped
    })
  })
}

import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { dialectFor } from '../../framework/queue/drivers/database-dialect.ts'
import { createFailedJobStore } from '../../framework/queue/failed/failed-job-store.ts'
import { NullFailedJobStore } from '../../framework/queue/failed/null-failed-job-store.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { appOn, createQueueDatabase, repoRoot } from './database-queue-setup.ts'

const failure = (payload: string, queue = 'default') => ({ uuid: randomUUID(), connection: 'database', queue, payload, exception: 'Error: boom\n    at handle (app/Jobs/Boom.ts:3:11)' })

for (const engine of await availableEngines()) {
  describe(`failed job store on ${engine}`, () => {
    let database: TestDatabase
    let app: Application

    beforeAll(async () => {
      database = await createQueueDatabase(engine)
      app = await appOn(database)
    })

    afterAll(async () => {
      await app?.shutdown()
      await database?.drop()
    })

    it('is the queue.failed service', () => {
      expect(app.make('queue.failed')).toBe(app.make('queue.failed'))
      expect(app.make('queue.failed')).not.toBeInstanceOf(NullFailedJobStore)
    })

    it('logs a failure and finds it by id and by uuid, payload byte for byte', async () => {
      const store = createFailedJobStore(app)
      const payload = '\u00ff\u00fe garbage {"not": json 😀 \\" \n\t end'
      const record = failure(payload, 'emails')
      const id = await store.log(record)
      expect(id).toBeGreaterThan(0)
      const byId = await store.find(String(id))
      const byUuid = await store.find(record.uuid)
      expect(byId).toEqual(byUuid)
      expect(byId).toMatchObject({ id, uuid: record.uuid, connection: 'database', queue: 'emails', exception: record.exception })
      expect(byId!.payload).toBe(payload)
      expect(Math.abs(byId!.failedAt.getTime() - Date.now())).toBeLessThan(60_000)
    })

    it('lists newest first, optionally for one queue', async () => {
      const store = createFailedJobStore(app)
      const queue = `list-${randomUUID().slice(0, 8)}`
      const first = await store.log(failure('a', queue))
      const second = await store.log(failure('b', queue))
      expect((await store.all({ queue })).map((r) => r.id)).toEqual([second, first])
      expect((await store.all()).map((r) => r.id)).toEqual(expect.arrayContaining([first, second]))
    })

    it('keeps one record when the same job fails again before a retry', async () => {
      const store = createFailedJobStore(app)
      const record = failure('twice')
      const id = await store.log(record)
      const again = await store.log({ ...record, exception: 'Error: second' })
      expect(again).toBe(id)
      expect((await store.find(record.uuid))!.exception).toBe('Error: second')
    })

    it('take() hands a record to exactly one of many concurrent callers', async () => {
      const stores = [createFailedJobStore(app), createFailedJobStore(app)]
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[0]!.log(failure(`take-${i}`))))
      const taken = await Promise.all(ids.flatMap((id) => [stores[0]!.take(String(id)), stores[1]!.take(String(id)), stores[0]!.take(String(id))]))
      const winners = taken.filter((record) => record !== null)
      expect(winners.map((r) => r.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b))
      expect(await stores[0]!.find(String(ids[0]))).toBeNull()
    })

    it('forgets by id or uuid, and says when nothing matched', async () => {
      const store = createFailedJobStore(app)
      const record = failure('forget-me')
      const id = await store.log(record)
      expect(await store.forget(String(id))).toBe(true)
      expect(await store.forget(String(id))).toBe(false)
      await store.log(record)
      expect(await store.forget(record.uuid)).toBe(true)
      expect(await store.find(record.uuid)).toBeNull()
    })

    it('flushes records older than some hours, then all', async () => {
      const store = createFailedJobStore(app)
      const old = await store.log(failure('old'))
      const fresh = await store.log(failure('fresh'))
      const db = await app.make('db').connection()
      const dialect = await dialectFor(db)
      await db.raw(`UPDATE failed_jobs SET failed_at = ${dialect.hoursAgo} WHERE id = ?`, [48, old])
      expect(await store.flush(24)).toBe(1)
      expect(await store.find(String(old))).toBeNull()
      expect(await store.find(String(fresh))).not.toBeNull()
      expect(await store.flush()).toBeGreaterThanOrEqual(1)
      expect(await store.all()).toEqual([])
    })
  })
}

describe('failed job store without its table', () => {
  it('says which table is missing and how to create it (E_QUEUE_TABLE_MISSING)', async () => {
    const database = await createTestDatabase('sqlite')
    const app = await appOn(database)
    try {
      await expect(app.make('queue.failed').all()).rejects.toMatchObject({ code: 'E_QUEUE_TABLE_MISSING' })
    } finally {
      await app.shutdown()
      await database.drop()
    }
  })
})

describe('failed job store with failed.driver = null', () => {
  it('discards failures and lists none', async () => {
    const database = await createTestDatabase('sqlite')
    const app = await Application.create({
      basePath: repoRoot,
      loadEnv: false,
      config: { database: { default: 'testdb', connections: { testdb: database.config } }, queue: { failed: { driver: 'null', table: 'failed_jobs' } } },
    })
    try {
      const store = app.make('queue.failed')
      expect(store).toBeInstanceOf(NullFailedJobStore)
      expect(await store.log(failure('dropped'))).toBe(0)
      expect(await store.all()).toEqual([])
      expect(await store.take('1')).toBeNull()
      expect(app.resolved('db')).toBe(false)
    } finally {
      await app.shutdown()
      await database.drop()
    }
  })
})

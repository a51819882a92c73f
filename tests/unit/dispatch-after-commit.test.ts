/**
 * afterCommit against real transactions: a job dispatched inside a knex transaction with afterCommit is
 * pushed only once it commits, and never when it rolls back. Queue.fake() records the pushes.
 */
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { Queue } from '../../framework/queue/queue-facade.ts'
import type { QueueFake } from '../../framework/testing/queue-fake.ts'
import { repoRoot } from '../support/craft.ts'
import { availableEngines, createTestDatabase, type SqlEngine, type TestDatabase } from '../support/services.ts'

class WelcomeUser extends QueuedJob {
  constructor(public name: string) {
    super()
  }

  handle() {}
}

class AlwaysAfterCommit extends WelcomeUser {
  override afterCommit = true
}

const engines: SqlEngine[] = await availableEngines()

/** Lets the promise callbacks that follow a commit or rollback run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 25))

describe.each(engines)('afterCommit on %s', (engine) => {
  let database: TestDatabase
  let app: Application
  let db: Knex
  let fake: QueueFake

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    app = await Application.create({
      basePath: repoRoot,
      loadEnv: false,
      config: {
        database: { default: 'test', connections: { test: database.config } },
        queue: { default: 'database', connections: { database: { after_commit: false } } },
      },
    })
    db = await app.make('db').connection()
    await db.schema.createTable('users', (table) => {
      table.increments('id')
      table.string('name')
    })
    fake = Queue.fake()
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
  })

  const names = () => [...fake.pushed(WelcomeUser), ...fake.pushed(AlwaysAfterCommit)].map((job) => job.name)

  it('pushes the job only after the transaction commits', async () => {
    await db.transaction(async (trx) => {
      await trx('users').insert({ name: 'ada' })
      const id = await WelcomeUser.dispatch('ada').withTransaction(trx).afterCommit()
      expect(id).toBeNull()
      await settle()
      expect(names()).not.toContain('ada')
    })
    await vi.waitFor(() => expect(names()).toContain('ada'))
  })

  it('never pushes the job when the transaction rolls back', async () => {
    await expect(
      db.transaction(async (trx) => {
        await trx('users').insert({ name: 'bob' })
        await WelcomeUser.dispatch('bob').withTransaction(trx).afterCommit()
        throw new Error('payment declined')
      }),
    ).rejects.toThrow('payment declined')
    await settle()
    expect(await db('users').where({ name: 'bob' }).first()).toBeUndefined()
    expect(names()).not.toContain('bob')
  })

  it("honours the job's own afterCommit property", async () => {
    const trx = await db.transaction()
    await AlwaysAfterCommit.dispatch('cy').withTransaction(trx)
    await settle()
    expect(names()).not.toContain('cy')
    await trx.rollback()
    await settle()
    expect(names()).not.toContain('cy')

    const second = await db.transaction()
    await AlwaysAfterCommit.dispatch('cy2').withTransaction(second)
    await second.commit()
    await vi.waitFor(() => expect(names()).toContain('cy2'))
  })

  it('waits for the outermost transaction when dispatched in a nested one', async () => {
    // Inner work released, outer rolled back: not pushed.
    await expect(
      db.transaction(async (outer) => {
        await outer.transaction(async (inner) => {
          await WelcomeUser.dispatch('nested-lost').withTransaction(inner).afterCommit()
        })
        throw new Error('outer fails')
      }),
    ).rejects.toThrow('outer fails')
    // Inner rolled back to its savepoint, outer committed: not pushed.
    await db.transaction(async (outer) => {
      await outer
        .transaction(async (inner) => {
          await WelcomeUser.dispatch('savepoint-lost').withTransaction(inner).afterCommit()
          throw new Error('inner fails')
        })
        .catch(() => undefined)
    })
    // Both committed: pushed, after the outer commit only.
    await db.transaction(async (outer) => {
      await outer.transaction(async (inner) => {
        await WelcomeUser.dispatch('nested-kept').withTransaction(inner).afterCommit()
      })
      await settle()
      expect(names()).not.toContain('nested-kept')
    })
    await vi.waitFor(() => expect(names()).toContain('nested-kept'))
    expect(names()).not.toContain('nested-lost')
    expect(names()).not.toContain('savepoint-lost')
  })

  it("honours the connection's after_commit setting, and beforeCommit() overrides it", async () => {
    fake.restore()
    const config = app.config('queue')
    const database = config.connections.database
    if (database?.driver !== 'database') throw new Error('the database connection is missing')
    database.after_commit = true
    fake = Queue.fake()
    try {
      const trx = await db.transaction()
      await WelcomeUser.dispatch('dee').withTransaction(trx)
      const now = await WelcomeUser.dispatch('eve').withTransaction(trx).beforeCommit()
      expect(typeof now).toBe('string')
      expect(names()).toEqual(['eve'])
      await trx.commit()
      await vi.waitFor(() => expect(names()).toEqual(['eve', 'dee']))
    } finally {
      database.after_commit = false
    }
  })

  it('without afterCommit, pushes at once and hands the transaction to the driver (the database driver writes the row inside it)', async () => {
    await db.transaction(async (trx) => {
      const id = await WelcomeUser.dispatch('fay').withTransaction(trx)
      expect(typeof id).toBe('string')
      const pushed = fake.all().find((record) => (record.payload.data as { name?: string }).name === 'fay')
      expect(pushed?.transaction).toBe(trx)
    })
  })
})

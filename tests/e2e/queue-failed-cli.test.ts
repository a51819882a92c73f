/**
 * The failed-job and queue maintenance commands, run as a user runs them: bin/craft in a child process,
 * on a throwaway app whose .env-style variables point at a throwaway database.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Knex } from 'knex'
import type { Application } from '../../framework/foundation/application.ts'
import type { FailedJobStore } from '../../framework/queue/contracts.ts'
import { appOn, createQueueDatabase } from '../drivers/database-queue-setup.ts'
import { runCraft } from '../support/craft.ts'
import { availableEngines, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

function envFor(database: TestDatabase): Record<string, string> {
  const base = { APP_ENV: 'local', QUEUE_CONNECTION: 'database', DB_QUEUE_CONNECTION: '', DB_QUEUE_RETRY_AFTER: '90', QUEUE_FAILED_DRIVER: 'database' }
  const c = database.config
  if (c.driver === 'sqlite') return { ...base, DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: c.database }
  return { ...base, DB_CONNECTION: c.driver, DB_URL: '', DB_HOST: c.host, DB_PORT: String(c.port), DB_DATABASE: c.database, DB_USERNAME: c.username, DB_PASSWORD: c.password }
}

const failure = (payload: string, queue = 'default') => ({ uuid: randomUUID(), connection: 'database', queue, payload, exception: 'Error: boom\n    at handle (app/Jobs/Boom.ts:3:11)' })
const jobPayload = (name: string) => JSON.stringify({ uuid: randomUUID(), job: name, displayName: name, data: {}, attempts: 0 })

const engines = await availableEngines()

// Each craft run is a process start (~1-2 s); allow for a loaded CI machine.
vi.setConfig({ testTimeout: 90_000 })

describe.each(engines)('failed-job commands on %s', (engine) => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let store: FailedJobStore
  let db: Knex
  const craft = (...args: string[]) => runCraft(args, { basePath: temp.basePath, env: envFor(database) })
  const jobsOn = async (queue: string) => (await db('jobs').where({ queue }).orderBy('id')) as { payload: string; attempts: number }[]

  beforeAll(async () => {
    database = await createQueueDatabase(engine)
    temp = makeTempApp()
    app = await appOn(database)
    store = app.make('queue.failed')
    db = await app.make('db').connection()
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  it('two concurrent `queue:retry all` re-enqueue each failed job exactly once', async () => {
    const queue = `race-${engine}`
    const payloads = Array.from({ length: 40 }, (_, i) => jobPayload(`RaceJob${i}`))
    for (const payload of payloads) await store.log(failure(payload, queue))
    const [a, b] = await Promise.all([craft('queue:retry', 'all'), craft('queue:retry', 'all')])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const rows = await jobsOn(queue)
    expect(rows.map((row) => row.payload).sort()).toEqual([...payloads].sort())
    expect(rows.every((row) => Number(row.attempts) === 0)).toBe(true)
    expect(await store.all({ queue })).toEqual([])
  })

  it('retries one job by id or uuid with its payload byte for byte, even garbage', async () => {
    const queue = `garbage-${engine}`
    const garbage = '\u0001{not json]] é 😀 "quoted" \\ back\nslash\t'
    const id = await store.log(failure(garbage, queue))
    const listed = await craft('queue:failed')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('(malformed payload)')
    expect(listed.stdout).toContain('Error: boom')
    expect(listed.stdout).not.toContain('at handle')

    const result = await craft('queue:retry', String(id))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('DONE')
    const rows = await jobsOn(queue)
    expect(rows.map((row) => row.payload)).toEqual([garbage])

    const named = jobPayload('NamedJob')
    const record = failure(named, queue)
    await store.log(record)
    expect((await craft('queue:failed')).stdout).toContain('NamedJob')
    expect((await craft('queue:retry', record.uuid)).code).toBe(0)
    expect((await jobsOn(queue)).map((row) => row.payload)).toEqual([garbage, named])
  })

})

describe('failed-job commands: selection, forget, flush (sqlite)', () => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let store: FailedJobStore
  let db: Knex
  const engine = 'sqlite'
  const craft = (...args: string[]) => runCraft(args, { basePath: temp.basePath, env: envFor(database) })
  const jobsOn = async (queue: string) => (await db('jobs').where({ queue }).orderBy('id')) as { payload: string; attempts: number }[]

  beforeAll(async () => {
    database = await createQueueDatabase(engine)
    temp = makeTempApp()
    app = await appOn(database)
    store = app.make('queue.failed')
    db = await app.make('db').connection()
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  it('retries only the given --queue or --range', async () => {
    const [keep, move] = [`keep-${engine}`, `move-${engine}`]
    const kept = await store.log(failure(jobPayload('Kept'), keep))
    await store.log(failure(jobPayload('Moved'), move))
    expect((await craft('queue:retry', `--queue=${move}`)).code).toBe(0)
    expect(await jobsOn(move)).toHaveLength(1)
    expect(await store.find(String(kept))).not.toBeNull()

    const result = await craft('queue:retry', `--range=${kept}-${kept}`)
    expect(result.code, result.stderr).toBe(0)
    expect(await jobsOn(keep)).toHaveLength(1)
  })

  it('says so when a failed job does not exist: queue:retry 999999, queue:forget 999999', async () => {
    const retry = await craft('queue:retry', '999999')
    expect(retry.code).toBe(1)
    expect(retry.stderr).toContain('Unable to find failed job with ID [999999]')
    const forget = await craft('queue:forget', '999999')
    expect(forget.code).toBe(1)
    expect(forget.stderr).toContain('999999')
  })

  it('keeps a failed job whose connection is no longer configured, naming the configured ones', async () => {
    const id = await store.log({ ...failure(jobPayload('Orphan')), connection: 'gone' })
    const result = await craft('queue:retry', String(id))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"gone"')
    expect(result.stderr).toContain('database')
    expect(await store.find(String(id))).not.toBeNull()
    await store.forget(String(id))
  })

  it('rejects a malformed --range', async () => {
    const result = await craft('queue:retry', '--range=5-x')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--range')
  })

  it('forgets, flushes by age, prunes and flushes all', async () => {
    const forgotten = await store.log(failure('forget'))
    const result = await craft('queue:forget', String(forgotten))
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Failed job deleted successfully.')
    expect(await store.find(String(forgotten))).toBeNull()

    const fresh = await store.log(failure('fresh'))
    expect((await craft('queue:prune-failed', '--hours=24')).stdout).toMatch(/\d+ entr(y|ies) deleted/)
    expect(await store.find(String(fresh))).not.toBeNull()
    expect((await craft('queue:flush', '--hours=abc')).code).toBe(1)
    expect((await craft('queue:flush', '--hours=1')).code).toBe(0)
    expect(await store.find(String(fresh))).not.toBeNull()

    const flushed = await craft('queue:flush')
    expect(flushed.code).toBe(0)
    expect(flushed.stdout).toContain('All failed jobs deleted successfully')
    expect(await store.all()).toEqual([])
    expect((await craft('queue:failed')).stdout).toContain('No failed jobs found.')
  })
})

describe('queue:clear and queue:monitor (sqlite)', () => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let db: Knex
  const craft = (args: string[], env: Record<string, string> = {}) => runCraft(args, { basePath: temp.basePath, env: { ...envFor(database), ...env } })
  const push = (queue: string, count: number) =>
    db('jobs').insert(Array.from({ length: count }, () => ({ queue, payload: '{}', attempts: 0, available_at: 0, created_at: 0 })))

  beforeAll(async () => {
    database = await createQueueDatabase('sqlite')
    temp = makeTempApp()
    app = await appOn(database)
    db = await app.make('db').connection()
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  it('prints each queue size and flags those at or over --max', async () => {
    await push('default', 1)
    await push('emails', 3)
    const result = await craft(['queue:monitor', 'default,database:emails', '--max=2'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/\[database\] default \.+ 1 \/ OK/)
    expect(result.stdout).toMatch(/\[database\] emails \.+ 3 \/ ALERT/)
  })

  it('names the configured connections when one is unknown', async () => {
    for (const args of [['queue:monitor', 'nope:default'], ['queue:clear', 'nope']]) {
      const result = await craft(args)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('nope')
      expect(result.stderr).toContain('database')
    }
  })

  it('clears the named queues of a connection, and needs --force in production', async () => {
    await db('jobs').delete()
    await push('default', 2)
    await push('other', 1)
    const refused = await craft(['queue:clear'], { APP_ENV: 'production' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('--force')
    expect(await db('jobs').count({ n: '*' })).toEqual([{ n: 3 }])

    const cleared = await craft(['queue:clear', 'database', '--queue=default'])
    expect(cleared.code, cleared.stderr).toBe(0)
    expect(cleared.stdout).toContain('Cleared 2 jobs from the [default] queue')
    const forced = await craft(['queue:clear', '--queue=other', '--force'], { APP_ENV: 'production' })
    expect(forced.code).toBe(0)
    expect(await db('jobs').count({ n: '*' })).toEqual([{ n: 0 }])
  })
})

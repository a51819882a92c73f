/**
 * `craft cache:clear`, `cache:forget` and `cache:table` as a user runs them, on a throwaway SQLite database
 * chosen through env variables (which win over any .env).
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCraft, type CraftResult } from '../support/craft.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

function expectNoStackTrace(result: CraftResult) {
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at .+[(:]\d+/m)
}

describe('cache commands', () => {
  let database: TestDatabase
  let env: Record<string, string>
  let db: Knex
  const craft = (...args: string[]) => runCraft(args, { env })

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    if (database.config.driver !== 'sqlite') throw new Error('expected sqlite')
    env = { APP_ENV: 'local', APP_DEBUG: 'false', DB_URL: '', DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: database.config.database, CACHE_STORE: 'database', CACHE_PREFIX: 'cli_' }
    const { default: knex } = await import('knex')
    db = knex({ client: 'better-sqlite3', connection: { filename: database.config.database }, useNullAsDefault: true })
  })

  afterAll(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('cache:clear explains a missing cache table instead of a driver error', async () => {
    const result = await craft('cache:clear')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('craft migrate')
    expectNoStackTrace(result)
  })

  it('cache:clear empties the default store; cache:forget removes one key', { timeout: 60_000 }, async () => {
    expect((await craft('migrate')).code).toBe(0)
    const future = Math.floor(Date.now() / 1000) + 600
    await db('cache').insert([
      { key: 'cli_a', value: '1', expiration: future },
      { key: 'cli_b', value: '2', expiration: future },
    ])

    const forget = await craft('cache:forget', 'a')
    expect(forget.code).toBe(0)
    expect(forget.stdout).toContain('The [a] key has been removed from the cache.')
    expect((await db('cache').select('key')).map((row: { key: string }) => row.key)).toEqual(['cli_b'])

    const clear = await craft('cache:clear')
    expect(clear.code).toBe(0)
    expect(clear.stderr).toBe('')
    expect(clear.stdout).toContain('INFO  Application cache cleared successfully.')
    expect(await db('cache').count({ n: '*' })).toEqual([{ n: 0 }])
  })

  it('cache:clear with an unknown store lists the configured ones and exits 1', async () => {
    const result = await craft('cache:clear', 'nope')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"nope"')
    expect(result.stderr).toContain('memory, database, redis')
    expectNoStackTrace(result)
  })

  it('cache:clear memory works without any server', async () => {
    const result = await craft('cache:clear', 'memory')
    expect(result.code).toBe(0)
  })
})

describe('cache:table', () => {
  let app: TempApp
  let database: TestDatabase

  beforeAll(async () => {
    app = makeTempApp()
    database = await createTestDatabase('sqlite')
  })

  afterAll(async () => {
    app?.cleanup()
    await database?.drop()
  })

  it('generates a migration that creates the tables, and refuses a duplicate', { timeout: 60_000 }, async () => {
    if (database.config.driver !== 'sqlite') throw new Error('expected sqlite')
    const env = { APP_ENV: 'local', DB_URL: '', DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: database.config.database, DB_CACHE_TABLE: 'app_cache' }
    const first = await runCraft(['cache:table'], { basePath: app.basePath, env })
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/Migration \[database\/migrations\/\d{4}_\d{2}_\d{2}_\d{6}_create_cache_table\.ts\] created successfully\./)
    const [file] = readdirSync(app.path('database/migrations'))
    expect(readFileSync(app.path('database/migrations', file!), 'utf8')).toContain("createTable('app_cache'")

    const again = await runCraft(['cache:table'], { basePath: app.basePath, env })
    expect(again.code).toBe(1)
    expectNoStackTrace(again)

    const migrate = await runCraft(['migrate'], { basePath: app.basePath, env })
    expect(migrate.code).toBe(0)
    const clear = await runCraft(['cache:clear'], { basePath: app.basePath, env })
    expect(clear.code).toBe(0)
  })
})

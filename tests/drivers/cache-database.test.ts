/**
 * The database cache store on real SQLite, PostgreSQL and MariaDB: a throwaway database per engine, the
 * cache tables made by the skeleton's migration, and two Applications (two connection pools, as two
 * worker processes would have) on the same tables.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import cacheMigration from '../../database/migrations/0001_01_01_000001_create_cache_table.ts'
import type { ConnectionConfig } from '../../framework/database/config.ts'
import { Application } from '../../framework/foundation/application.ts'
import { availableEngines, createTestDatabase } from '../support/services.ts'
import { cacheStoreSuite } from './cache-store-suite.ts'

const engines = await availableEngines()

async function openApp(connection: ConnectionConfig, basePath: string): Promise<Application> {
  return Application.create({
    basePath,
    loadEnv: false,
    config: {
      database: { default: 'test', connections: { test: connection }, migrations: { table: 'migrations' } },
      cache: { default: 'database', stores: { database: { driver: 'database', table: 'cache' } }, prefix: 'test_cache_' },
    },
  })
}

for (const engine of engines) {
  cacheStoreSuite(`database (${engine})`, async () => {
    const database = await createTestDatabase(engine)
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-cache-'))
    const apps = [await openApp(database.config, basePath), await openApp(database.config, basePath)]
    await cacheMigration.up(await apps[0]!.make('db').connection())
    return {
      first: apps[0]!.make('cache').store(),
      second: apps[1]!.make('cache').store(),
      close: async () => {
        for (const app of apps) await app.shutdown()
        await database.drop()
        rmSync(basePath, { recursive: true, force: true })
      },
    }
  })
}

describe('database cache store specifics (sqlite)', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it('keeps Laravel\'s table layout (JSON values, whole-second expirations, prefixed keys) and drops expired rows on read', async () => {
    const database = await createTestDatabase('sqlite')
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-cache-'))
    const app = await openApp(database.config, basePath)
    cleanups.push(async () => {
      await app.shutdown()
      await database.drop()
      rmSync(basePath, { recursive: true, force: true })
    })
    const db = await app.make('db').connection()
    await cacheMigration.up(db)
    await app.make('cache').store().put('user:1', { name: 'Ada' }, 60)
    const [row] = (await db('cache').select('*')) as { key: string; value: string; expiration: number }[]
    expect(row?.key).toBe('test_cache_user:1')
    expect(JSON.parse(row!.value)).toEqual({ name: 'Ada' })
    expect(Number.isInteger(row?.expiration)).toBe(true)
    expect(row!.expiration - Date.now() / 1000).toBeGreaterThan(59)
    await db('cache').insert({ key: 'test_cache_stale', value: '1', expiration: Math.floor(Date.now() / 1000) - 5 })
    expect(await app.make('cache').store().get('stale')).toBeUndefined()
    expect(await db('cache').where('key', 'test_cache_stale').first()).toBeUndefined()
    await cacheMigration.down(db)
    expect(await db.schema.hasTable('cache')).toBe(false)
    expect(await db.schema.hasTable('cache_locks')).toBe(false)
  })
})

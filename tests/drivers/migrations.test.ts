/**
 * The migrator on real SQLite, PostgreSQL and MariaDB: a temp app whose database/migrations folder the
 * tests fill with files, pointed at a throwaway database per engine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectionConfig } from '../../framework/database/config.ts'
import { Migrator, type MigrationEvent } from '../../framework/database/migrator.ts'
import { Application } from '../../framework/foundation/application.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'

const engines = await availableEngines()
const usersMigration = fileURLToPath(new URL('../../database/migrations/0001_01_01_000000_create_users_table.ts', import.meta.url))

/** A migration file body creating `table` (optionally with a foreign key to `references`). */
function createTable(table: string, references?: string): string {
  return `export default {
  async up(db) {
    await db.schema.createTable('${table}', (t) => {
      t.increments('id')
      t.string('name')
      ${references ? `t.integer('${references}_id').unsigned().references('id').inTable('${references}')` : ''}
    })
  },
  async down(db) {
    await db.schema.dropTable('${table}')
  },
}
`
}

/** Creates `table`, then fails: the table must not survive where DDL is transactional. */
function failingAfter(table: string): string {
  return `export default {
  async up(db) {
    await db.schema.createTable('${table}', (t) => { t.increments('id') })
    await db.raw('select * from a_table_that_does_not_exist')
  },
  async down(db) {
    await db.schema.dropTableIfExists('${table}')
  },
}
`
}

describe.each(engines)('migrations on %s', (engine) => {
  let database: TestDatabase
  let basePath: string
  let app: Application
  let migrator: Migrator
  let db: Knex

  const write = (name: string, contents: string) => writeFileSync(join(basePath, 'database', 'migrations', `${name}.ts`), contents)
  const hasTable = (table: string) => db.schema.hasTable(table)
  const records = async () => (await migrator.repository.ran()).map((r) => `${r.batch}:${r.migration}`)

  beforeAll(async () => {
    database = await createTestDatabase(engine)
  })

  afterAll(async () => {
    await database?.drop()
  })

  beforeEach(async () => {
    basePath = mkdtempSync(join(tmpdir(), 'kiln-migrations-'))
    mkdirSync(join(basePath, 'database', 'migrations'), { recursive: true })
    app = await Application.create({
      basePath,
      loadEnv: false,
      config: { database: { default: 'x', connections: { x: database.config }, migrations: { table: 'migrations' } } },
    })
    migrator = await Migrator.forApp(app)
    db = await app.make('db').connection()
  })

  afterEach(async () => {
    await migrator.dropAllTables()
    await app.shutdown()
    rmSync(basePath, { recursive: true, force: true })
  })

  it('runs pending migrations in file-name order as one batch, and a second run is a no-op', async () => {
    // Written in reverse: the second file references the first, so running out of order would fail.
    write('2026_01_01_000002_create_bookings_table', createTable('bookings', 'flights'))
    write('2026_01_01_000001_create_flights_table', createTable('flights'))

    expect(await migrator.status()).toBeNull()
    expect(await migrator.run()).toEqual(['2026_01_01_000001_create_flights_table', '2026_01_01_000002_create_bookings_table'])
    expect(await hasTable('flights')).toBe(true)
    expect(await hasTable('bookings')).toBe(true)
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table', '1:2026_01_01_000002_create_bookings_table'])

    expect(await migrator.run()).toEqual([])
    expect(await records()).toHaveLength(2)
  })

  it('reports each file as ran (with its batch) or pending', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    await migrator.run()
    write('2026_01_01_000002_create_pilots_table', createTable('pilots'))

    expect(await migrator.status()).toEqual([
      { migration: '2026_01_01_000001_create_flights_table', ran: true, batch: 1 },
      { migration: '2026_01_01_000002_create_pilots_table', ran: false },
    ])
  })

  it('rolls back the last batch only, then the one before', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    await migrator.run()
    write('2026_01_01_000002_create_pilots_table', createTable('pilots'))
    write('2026_01_01_000003_create_crews_table', createTable('crews', 'pilots'))
    await migrator.run()
    expect(await records()).toEqual([
      '1:2026_01_01_000001_create_flights_table',
      '2:2026_01_01_000002_create_pilots_table',
      '2:2026_01_01_000003_create_crews_table',
    ])

    const events: MigrationEvent[] = []
    // Newest first, so the crews table (which references pilots) goes before pilots.
    expect(await migrator.rollback({ onMigration: (e) => events.push(e) })).toEqual([
      '2026_01_01_000003_create_crews_table',
      '2026_01_01_000002_create_pilots_table',
    ])
    expect(events.map((e) => `${e.direction}:${e.status}`)).toEqual(['down:done', 'down:done'])
    expect(await hasTable('pilots')).toBe(false)
    expect(await hasTable('crews')).toBe(false)
    expect(await hasTable('flights')).toBe(true)

    expect(await migrator.rollback()).toEqual(['2026_01_01_000001_create_flights_table'])
    expect(await hasTable('flights')).toBe(false)
    expect(await migrator.rollback()).toEqual([])
    expect(await hasTable('migrations')).toBe(true)
  })

  it('with step, gives each migration its own batch, and rollback --step=N undoes the last N', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write('2026_01_01_000002_create_pilots_table', createTable('pilots'))
    write('2026_01_01_000003_create_crews_table', createTable('crews'))
    await migrator.run({ step: true })
    expect(await records()).toEqual([
      '1:2026_01_01_000001_create_flights_table',
      '2:2026_01_01_000002_create_pilots_table',
      '3:2026_01_01_000003_create_crews_table',
    ])

    expect(await migrator.rollback({ step: 2 })).toEqual(['2026_01_01_000003_create_crews_table', '2026_01_01_000002_create_pilots_table'])
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table'])
    expect(await hasTable('flights')).toBe(true)
    expect(await hasTable('pilots')).toBe(false)
  })

  it('rolls back a chosen batch with the batch option', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write('2026_01_01_000002_create_pilots_table', createTable('pilots'))
    await migrator.run({ step: true })
    expect(await migrator.rollback({ batch: 1 })).toEqual(['2026_01_01_000001_create_flights_table'])
    expect(await records()).toEqual(['2:2026_01_01_000002_create_pilots_table'])
  })

  it('fresh drops every table, even ones no migration made and ones tied by foreign keys, then migrates', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write('2026_01_01_000002_create_bookings_table', createTable('bookings', 'flights'))
    await migrator.run()
    await db.schema.createTable('stray', (t) => t.increments('id'))
    await db('flights').insert({ name: 'KL 1001' })

    const dropped = await migrator.dropAllTables()
    expect(dropped.sort()).toEqual(['bookings', 'flights', 'migrations', 'stray'])
    expect(await hasTable('stray')).toBe(false)
    expect(await hasTable('migrations')).toBe(false)

    expect(await migrator.run()).toHaveLength(2)
    expect(Number((await db('flights').count({ n: '*' }).first())?.n)).toBe(0)
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table', '1:2026_01_01_000002_create_bookings_table'])
  })

  it('a failing migration is not recorded and, where DDL is transactional, leaves nothing behind', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write('2026_01_01_000002_create_broken_table', failingAfter('broken'))
    write('2026_01_01_000003_create_pilots_table', createTable('pilots'))

    const events: MigrationEvent[] = []
    await expect(migrator.run({ onMigration: (e) => events.push(e) })).rejects.toMatchObject({
      code: 'E_MIGRATION_FAILED',
      migration: '2026_01_01_000002_create_broken_table',
    })
    expect(events.map((e) => `${e.migration.slice(18)}:${e.status}`)).toEqual(['create_flights_table:done', 'create_broken_table:failed'])
    // Laravel's unit is the migration: the one before it stays applied and recorded, the failing one
    // is neither, and the ones after it never start.
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table'])
    expect(await hasTable('pilots')).toBe(false)
    // MySQL/MariaDB commit CREATE TABLE at once; SQLite and PostgreSQL roll it back with the migration.
    expect(await hasTable('broken')).toBe(engine === 'mysql')

    // Without the broken file, the next run picks up where it stopped, in the next batch.
    rmSync(join(basePath, 'database', 'migrations', '2026_01_01_000002_create_broken_table.ts'))
    expect(await migrator.run()).toEqual(['2026_01_01_000003_create_pilots_table'])
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table', '2:2026_01_01_000003_create_pilots_table'])
  })

  it('refuses to start when a pending file is not a migration, before running anything', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write('2026_01_01_000002_not_a_migration', 'export const up = 1\n')
    await expect(migrator.run()).rejects.toMatchObject({ code: 'E_INVALID_MIGRATION' })
    expect(await hasTable('flights')).toBe(false)
    expect(await records()).toEqual([])
  })

  it('reports a recorded migration whose file is gone as missing and keeps its record', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    await migrator.run()
    rmSync(join(basePath, 'database', 'migrations', '2026_01_01_000001_create_flights_table.ts'))
    const events: MigrationEvent[] = []
    expect(await migrator.rollback({ onMigration: (e) => events.push(e) })).toEqual([])
    expect(events).toEqual([expect.objectContaining({ migration: '2026_01_01_000001_create_flights_table', status: 'missing' })])
    expect(await records()).toEqual(['1:2026_01_01_000001_create_flights_table'])
  })

  it.runIf(engine !== 'mysql')('pretend collects the SQL and applies nothing', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    const events: MigrationEvent[] = []
    await migrator.run({ pretend: true, onMigration: (e) => events.push(e) })
    expect(events).toHaveLength(1)
    expect(events[0]?.queries?.join('\n')).toMatch(/create table\s+["`]?flights/i)
    expect(await hasTable('flights')).toBe(false)
    expect(await hasTable('migrations')).toBe(false)
  })

  it.runIf(engine !== 'mysql')('pretend runs a migration that alters a table an earlier pending one creates', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    write(
      '2026_01_01_000002_add_gate_to_flights_table',
      `export default {
  async up(db) { await db.schema.alterTable('flights', (t) => { t.string('gate') }) },
  async down(db) { await db.schema.alterTable('flights', (t) => { t.dropColumn('gate') }) },
}
`,
    )
    const events: MigrationEvent[] = []
    await migrator.run({ pretend: true, onMigration: (e) => events.push(e) })
    expect(events.map((e) => e.status)).toEqual(['done', 'done'])
    expect(events[1]?.queries?.join('\n')).toMatch(/alter table\s+["`]?flights/i)
    expect(await hasTable('flights')).toBe(false)
    expect(await hasTable('migrations')).toBe(false)
  })

  it.runIf(engine === 'mysql')('pretend is refused on MySQL/MariaDB, whose DDL cannot be rolled back', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    await expect(migrator.run({ pretend: true })).rejects.toMatchObject({ code: 'E_PRETEND_UNSUPPORTED' })
    expect(await hasTable('flights')).toBe(false)
  })

  it.runIf(engine === 'pgsql')('withoutTransaction runs statements PostgreSQL refuses inside a transaction', async () => {
    write('2026_01_01_000001_create_flights_table', createTable('flights'))
    const concurrently = (bare: boolean) => `export default {
  withoutTransaction: ${bare},
  async up(db) { await db.raw('create index concurrently flights_name_index on flights (name)') },
  async down(db) { await db.raw('drop index concurrently if exists flights_name_index') },
}
`
    write('2026_01_01_000002_index_flights_in_transaction', concurrently(false))
    await expect(migrator.run()).rejects.toMatchObject({ code: 'E_MIGRATION_FAILED' })
    rmSync(join(basePath, 'database', 'migrations', '2026_01_01_000002_index_flights_in_transaction.ts'))

    write('2026_01_01_000003_index_flights_concurrently', concurrently(true))
    expect(await migrator.run()).toEqual(['2026_01_01_000003_index_flights_concurrently'])
    expect(await migrator.rollback()).toEqual(['2026_01_01_000003_index_flights_concurrently'])
  })

  it("ships Laravel's users table", async () => {
    write('0001_01_01_000000_create_users_table', `export { default } from ${JSON.stringify(usersMigration)}\n`)
    await migrator.run()
    await db('users').insert({ name: 'Ada', email: 'ada@example.com', password: 'hash' })
    const user = await db('users').where('email', 'ada@example.com').first()
    expect(user).toMatchObject({ id: expect.anything(), name: 'Ada', email_verified_at: null, remember_token: null, created_at: null, updated_at: null })
    await expect(db('users').insert({ name: 'Eve', email: 'ada@example.com', password: 'x' })).rejects.toThrow()
    await migrator.rollback()
    expect(await hasTable('users')).toBe(false)
  })
})

describe.runIf(engines.includes('pgsql'))('migrations on a PostgreSQL schema other than public', () => {
  it('creates, lists and drops tables in the configured schema only', async () => {
    const database = await createTestDatabase('pgsql')
    if (database.config.driver !== 'pgsql') throw new Error('expected a PostgreSQL test database')
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-migrations-'))
    mkdirSync(join(basePath, 'database', 'migrations'), { recursive: true })
    writeFileSync(join(basePath, 'database', 'migrations', '2026_01_01_000001_create_flights_table.ts'), createTable('flights'))
    const admin = await Application.create({ basePath, loadEnv: false, config: { database: { default: 'x', connections: { x: database.config }, migrations: { table: 'migrations' } } } })
    const app = await Application.create({
      basePath,
      loadEnv: false,
      config: { database: { default: 'x', connections: { x: { ...database.config, schema: 'tenant' } }, migrations: { table: 'migrations' } } },
    })
    try {
      const publicDb = await admin.make('db').connection()
      await publicDb.raw('create schema tenant')
      await publicDb.schema.createTable('keep_me', (t) => t.increments('id'))

      const migrator = await Migrator.forApp(app)
      await migrator.run()
      const tables = async (schema: string) =>
        ((await publicDb.raw('select tablename from pg_tables where schemaname = ? order by tablename', [schema])) as { rows: { tablename: string }[] }).rows.map((r) => r.tablename)
      expect(await tables('tenant')).toEqual(['flights', 'migrations'])
      expect(await tables('public')).toEqual(['keep_me'])

      expect((await migrator.dropAllTables()).sort()).toEqual(['flights', 'migrations'])
      expect(await tables('tenant')).toEqual([])
      expect(await tables('public')).toEqual(['keep_me'])
    } finally {
      await app.shutdown()
      await admin.shutdown()
      await database.drop()
      rmSync(basePath, { recursive: true, force: true })
    }
  })
})

describe('an unreachable database', () => {
  const servers: ConnectionConfig[] = [
    { driver: 'pgsql', host: '127.0.0.1', port: 1, database: 'kiln', username: 'postgres', password: '' },
    { driver: 'mysql', host: '127.0.0.1', port: 1, database: 'kiln', username: 'root', password: '' },
  ]

  it.each(servers)('fails with E_DB_UNREACHABLE naming the connection and where it points ($driver)', async (config) => {
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-migrations-'))
    const app = await Application.create({ basePath, loadEnv: false, config: { database: { default: config.driver, connections: { [config.driver]: config }, migrations: { table: 'migrations' } } } })
    try {
      const error = await Migrator.forApp(app).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'E_DB_UNREACHABLE' })
      expect((error as Error).message).toContain('127.0.0.1:1')
      expect((error as Error).message).toContain(`"${config.driver}"`)
    } finally {
      await app.shutdown()
      rmSync(basePath, { recursive: true, force: true })
    }
  })
})

import { readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Migration } from '../../framework/database/migration.ts'
import { appOn } from '../drivers/database-queue-setup.ts'
import { runCraft } from '../support/craft.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

describe('queue:table, queue:failed-table, queue:batches-table', { timeout: 90_000 }, () => {
  let temp: TempApp
  let database: TestDatabase

  beforeAll(async () => {
    temp = makeTempApp()
    database = await createTestDatabase('sqlite')
  })

  afterAll(async () => {
    temp?.cleanup()
    await database?.drop()
  })

  const cases = [
    { command: 'queue:table', migration: 'create_jobs_table', table: 'jobs', columns: ['id', 'queue', 'payload', 'attempts', 'reserved_at', 'available_at', 'created_at'] },
    { command: 'queue:failed-table', migration: 'create_failed_jobs_table', table: 'failed_jobs', columns: ['id', 'uuid', 'connection', 'queue', 'payload', 'exception', 'failed_at'] },
    {
      command: 'queue:batches-table',
      migration: 'create_job_batches_table',
      table: 'job_batches',
      columns: ['id', 'name', 'total_jobs', 'pending_jobs', 'failed_jobs', 'failed_job_ids', 'options', 'cancelled_at', 'created_at', 'finished_at'],
    },
  ]

  it.each(cases)('$command writes a $migration migration that creates the table, and refuses a second one', async ({ command, migration, table, columns }) => {
    const env = { APP_ENV: 'local' }
    const first = await runCraft([command], { basePath: temp.basePath, env })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(new RegExp(`Migration \\[database/migrations/\\d{4}_\\d{2}_\\d{2}_\\d{6}_${migration}\\.ts\\] created successfully`))
    const files = readdirSync(temp.path('database', 'migrations')).filter((file) => file.endsWith(`_${migration}.ts`))
    expect(files).toHaveLength(1)

    const again = await runCraft([command], { basePath: temp.basePath, env })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(migration)
    expect(readdirSync(temp.path('database', 'migrations')).filter((file) => file.endsWith(`_${migration}.ts`))).toHaveLength(1)

    const app = await appOn(database)
    try {
      const db = await app.make('db').connection()
      const { default: generated } = (await import(pathToFileURL(temp.path('database', 'migrations', files[0]!)).href)) as { default: Migration }
      await generated.up(db)
      expect(Object.keys(await db(table).columnInfo()).sort()).toEqual([...columns].sort())
      await generated.down(db)
      expect(await db.schema.hasTable(table)).toBe(false)
    } finally {
      await app.shutdown()
    }
  })
})

/**
 * `craft queue:batches-table` and the job_batch_marks table: a new app gets both tables in one migration;
 * an app whose batches migration was generated before the marks table existed gets a migration for the
 * marks table alone, once.
 */
import { copyFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Migration } from '../../framework/database/migration.ts'
import { appOn } from '../drivers/database-queue-setup.ts'
import { repoRoot, runCraft } from '../support/craft.ts'
import { createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

describe('queue:batches-table', { timeout: 90_000 }, () => {
  let temp: TempApp
  let database: TestDatabase

  beforeEach(async () => {
    temp = makeTempApp()
    database = await createTestDatabase('sqlite')
  })

  afterEach(async () => {
    temp?.cleanup()
    await database?.drop()
  })

  const migrations = () => readdirSync(temp.path('database', 'migrations'))

  /** Runs the generated migration `file` up then down, with `afterUp` / `afterDown` checking the database. */
  async function upAndDown(file: string, afterUp: (db: Knex) => Promise<void>, afterDown: (db: Knex) => Promise<void>): Promise<void> {
    const app = await appOn(database)
    try {
      const db = await app.make('db').connection()
      const { default: generated } = (await import(pathToFileURL(temp.path('database', 'migrations', file)).href)) as { default: Migration }
      await generated.up(db)
      await afterUp(db)
      await generated.down(db)
      await afterDown(db)
    } finally {
      await app.shutdown()
    }
  }

  const markColumns = async (db: Knex) => expect(Object.keys(await db('job_batch_marks').columnInfo()).sort()).toEqual(['batch_id', 'mark', 'owner'])

  it('on a new app, creates job_batches and job_batch_marks in one migration', async () => {
    const result = await runCraft(['queue:batches-table'], { basePath: temp.basePath, env: { APP_ENV: 'local' } })
    expect(result.code, result.stderr).toBe(0)
    expect(migrations()).toHaveLength(1)
    await upAndDown(
      migrations()[0]!,
      async (db) => {
        await markColumns(db)
        expect(await db.schema.hasTable('job_batches')).toBe(true)
      },
      async (db) => expect([await db.schema.hasTable('job_batch_marks'), await db.schema.hasTable('job_batches')]).toEqual([false, false]),
    )
  })

  it('on an app that already has a job_batches migration, writes a job_batch_marks migration, then refuses a second one', async () => {
    // The skeleton's batches migration, as an app generated it before job_batch_marks existed.
    copyFileSync(join(repoRoot, 'database', 'migrations', '0001_01_01_000004_create_job_batches_table.ts'), temp.path('database', 'migrations', '2026_01_01_000000_create_job_batches_table.ts'))
    const env = { APP_ENV: 'local' }
    const first = await runCraft(['queue:batches-table'], { basePath: temp.basePath, env })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/Migration \[database\/migrations\/\d{4}_\d{2}_\d{2}_\d{6}_create_job_batch_marks_table\.ts\] created successfully/)
    const again = await runCraft(['queue:batches-table'], { basePath: temp.basePath, env })
    expect(again.code).toBe(1)
    expect(migrations()).toHaveLength(2)
    const file = migrations().find((name) => name.endsWith('_create_job_batch_marks_table.ts'))
    await upAndDown(file!, markColumns, async (db) => expect(await db.schema.hasTable('job_batch_marks')).toBe(false))
  })
})

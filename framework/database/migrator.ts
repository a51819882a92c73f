import type { Knex } from 'knex'
import type { Application } from '../foundation/application.ts'
import type { ConnectionConfig } from './config.ts'
import { reachableConnection } from './connection-check.ts'
import { InvalidMigrationError, MigrationFailedError, PretendUnsupportedError } from './errors.ts'
import { loadMigration, migrationFiles, type MigrationFile } from './migration-loader.ts'
import { MigrationRepository } from './migration-repository.ts'
import type { Migration } from './migration.ts'
import { dropAllTables } from './schema-dropper.ts'

/** What happened to one migration, reported as it happens so a command can print a line per file. */
export interface MigrationEvent {
  migration: string
  direction: 'up' | 'down'
  /** `missing`: recorded as ran but its file is gone, so it cannot be rolled back (it stays recorded). */
  status: 'done' | 'failed' | 'missing'
  durationMs: number
  /** With `pretend`: the SQL the migration would run. */
  queries?: string[]
}

export interface MigrationStatus {
  migration: string
  ran: boolean
  batch?: number
}

export interface RunOptions {
  /** One batch per migration, so each can be rolled back on its own (Laravel's `migrate --step`). */
  step?: boolean
  /** Collect the SQL instead of applying it (SQLite and PostgreSQL only). */
  pretend?: boolean
  onMigration?: (event: MigrationEvent) => void
}

export interface RollbackOptions {
  /** Roll back the last N migrations instead of the last batch. */
  step?: number
  /** Roll back this batch instead of the last one. */
  batch?: number
  pretend?: boolean
  onMigration?: (event: MigrationEvent) => void
}

export interface MigratorSettings {
  db: Knex
  connectionName: string
  config: ConnectionConfig
  /** The migrations table (config/database.ts `migrations.table`). */
  table: string
  /** Folders holding migration files. */
  paths: string[]
}

/**
 * Laravel's migrator over knex: runs pending migration files in name order as one new batch, rolls back
 * the last batch (or the last N migrations), reports status, and drops everything for `fresh`. Each
 * migration and its record in the migrations table commit in one transaction where the engine can roll
 * back schema changes (SQLite, PostgreSQL); MySQL/MariaDB commit DDL at once, so there it runs bare.
 */
export class Migrator {
  readonly repository: MigrationRepository
  readonly connectionName: string
  private readonly db: Knex
  private readonly config: ConnectionConfig
  private readonly paths: string[]

  constructor(settings: MigratorSettings) {
    this.db = settings.db
    this.connectionName = settings.connectionName
    this.config = settings.config
    this.paths = settings.paths
    this.repository = new MigrationRepository(settings.db, settings.table)
  }

  /** A migrator on the app's connection `connection` (default DB_CONNECTION), checked to be reachable. */
  static async forApp(app: Application, options: { connection?: string; paths?: string[] } = {}): Promise<Migrator> {
    const { db, name, config } = await reachableConnection(app, options.connection)
    const table = (app.config('database').migrations as { table?: string } | undefined)?.table ?? 'migrations'
    return new Migrator({ db, connectionName: name, config, table, paths: options.paths ?? [app.databasePath('migrations')] })
  }

  get driver(): ConnectionConfig['driver'] {
    return this.config.driver
  }

  files(): MigrationFile[] {
    return migrationFiles(this.paths)
  }

  /** Creates the migrations table when missing; true when it had to. */
  async prepare(): Promise<boolean> {
    if (await this.repository.exists()) return false
    await this.repository.create()
    return true
  }

  /** Runs every pending migration; returns the names that ran (empty: nothing to migrate). */
  async run(options: RunOptions = {}): Promise<string[]> {
    if (options.pretend) this.assertCanPretend()
    // Pretending changes nothing, not even the migrations table.
    if (!options.pretend) await this.prepare()
    const prepared = options.pretend ? await this.repository.exists() : true
    const ran = new Set(prepared ? (await this.repository.ran()).map((record) => record.migration) : [])
    const pending = this.files().filter((file) => !ran.has(file.name))
    // Load every file first, so a broken file stops the run before anything is applied.
    const loaded = await Promise.all(pending.map(async (file) => ({ file, migration: await this.load(file) })))
    if (options.pretend) {
      await this.pretendAll(loaded.map(({ file, migration }) => ({ name: file.name, migration })), 'up', options)
      return pending.map((file) => file.name)
    }
    let batch = (prepared ? await this.repository.lastBatchNumber() : 0) + 1
    for (const { file, migration } of loaded) {
      await this.runOne(file.name, migration, 'up', batch, options)
      if (options.step) batch++
    }
    return pending.map((file) => file.name)
  }

  /** Rolls back the last batch (or `step` migrations, or `batch`); returns the names rolled back. */
  async rollback(options: RollbackOptions = {}): Promise<string[]> {
    if (options.pretend) this.assertCanPretend()
    if (!(await this.repository.exists())) return []
    const records =
      options.step && options.step > 0
        ? await this.repository.last(options.step)
        : options.batch !== undefined
          ? await this.repository.batch(options.batch)
          : await this.repository.lastBatch()
    return this.rollBackRecords(records.map((record) => record.migration), options)
  }

  /** Rolls back every migration that ran (Laravel's `migrate:reset`). */
  async reset(options: Omit<RollbackOptions, 'step' | 'batch'> = {}): Promise<string[]> {
    if (!(await this.repository.exists())) return []
    const records = (await this.repository.ran()).reverse()
    return this.rollBackRecords(records.map((record) => record.migration), options)
  }

  /** Every migration file with whether it ran and in which batch; null when there is no migrations table. */
  async status(): Promise<MigrationStatus[] | null> {
    if (!(await this.repository.exists())) return null
    const batches = new Map((await this.repository.ran()).map((record) => [record.migration, record.batch]))
    return this.files().map((file) => {
      const batch = batches.get(file.name)
      return batch === undefined ? { migration: file.name, ran: false } : { migration: file.name, ran: true, batch }
    })
  }

  /** Drops every table of the connection (not only the migrated ones); returns their names. */
  dropAllTables(): Promise<string[]> {
    return dropAllTables(this.db, this.config)
  }

  private async rollBackRecords(names: string[], options: Pick<RollbackOptions, 'pretend' | 'onMigration'>): Promise<string[]> {
    const files = new Map(this.files().map((file) => [file.name, file]))
    const done: { name: string; migration: Migration }[] = []
    for (const name of names) {
      const file = files.get(name)
      if (!file) {
        options.onMigration?.({ migration: name, direction: 'down', status: 'missing', durationMs: 0 })
        continue
      }
      const migration = await this.load(file)
      if (!options.pretend) await this.runOne(name, migration, 'down', 0, options)
      done.push({ name, migration })
    }
    if (options.pretend) await this.pretendAll(done, 'down', options)
    return done.map(({ name }) => name)
  }

  /** Applies (or reverts) one migration together with its record in the migrations table. */
  private async runOne(
    name: string,
    migration: Migration,
    direction: 'up' | 'down',
    batch: number,
    options: { onMigration?: (event: MigrationEvent) => void },
  ): Promise<void> {
    const started = performance.now()
    const transactional = !migration.withoutTransaction && this.config.driver !== 'mysql'
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100
    try {
      const apply = async (db: Knex) => {
        await migration[direction](db)
        if (direction === 'up') await this.repository.log(name, batch, db)
        else await this.repository.delete(name, db)
      }
      if (transactional) await this.db.transaction(apply)
      else await apply(this.db)
    } catch (error) {
      options.onMigration?.({ migration: name, direction, status: 'failed', durationMs: elapsed() })
      throw new MigrationFailedError(name, direction, transactional, { cause: error })
    }
    options.onMigration?.({ migration: name, direction, status: 'done', durationMs: elapsed() })
  }

  /**
   * Runs the migrations in ONE transaction that is always rolled back, collecting each one's SQL. One
   * transaction for all of them, so a migration that alters a table an earlier one creates still works.
   */
  private async pretendAll(
    items: { name: string; migration: Migration }[],
    direction: 'up' | 'down',
    options: { onMigration?: (event: MigrationEvent) => void },
  ): Promise<void> {
    const rollback = new Error('pretend')
    try {
      await this.db.transaction(async (trx) => {
        for (const { name, migration } of items) {
          const started = performance.now()
          const queries: string[] = []
          const listener = (query: { sql: string }) => queries.push(query.sql)
          this.db.on('query', listener)
          try {
            await migration[direction](trx)
          } catch (error) {
            options.onMigration?.({ migration: name, direction, status: 'failed', durationMs: Math.round((performance.now() - started) * 100) / 100 })
            throw new MigrationFailedError(name, direction, true, { cause: error })
          } finally {
            this.db.off('query', listener)
          }
          const sql = queries.filter((text) => !/^(begin|commit|rollback|savepoint|release savepoint)\b/i.test(text.trim()))
          options.onMigration?.({ migration: name, direction, status: 'done', durationMs: Math.round((performance.now() - started) * 100) / 100, queries: sql })
        }
        throw rollback
      })
    } catch (error) {
      if (error !== rollback) throw error
    }
  }

  private assertCanPretend(): void {
    if (this.config.driver === 'mysql') throw new PretendUnsupportedError('MySQL/MariaDB')
  }

  private async load(file: MigrationFile): Promise<Migration> {
    try {
      return await loadMigration(file.path)
    } catch (error) {
      if (error instanceof InvalidMigrationError) throw error
      throw new InvalidMigrationError(`${file.name}`, error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error))
    }
  }
}

import type { Knex } from 'knex'

/** One row of the migrations table. */
export interface MigrationRecord {
  migration: string
  batch: number
}

/**
 * The migrations table, as Laravel keeps it (`id`, `migration`, `batch`): which files ran, in which
 * batch. Every write can go through a transaction so a migration and its record commit together.
 */
export class MigrationRepository {
  constructor(
    private readonly db: Knex,
    readonly table: string,
  ) {}

  exists(): Promise<boolean> {
    return this.db.schema.hasTable(this.table)
  }

  async create(): Promise<void> {
    await this.db.schema.createTable(this.table, (table) => {
      table.increments('id')
      table.string('migration', 255).notNullable()
      table.integer('batch').notNullable()
    })
  }

  /** Every ran migration, oldest first. */
  async ran(): Promise<MigrationRecord[]> {
    const rows: MigrationRecord[] = await this.db(this.table).select('migration', 'batch').orderBy([{ column: 'batch' }, { column: 'migration' }])
    return rows.map((row) => ({ migration: row.migration, batch: Number(row.batch) }))
  }

  /** The migrations of the last batch, newest first (the order they are rolled back in). */
  async lastBatch(): Promise<MigrationRecord[]> {
    return this.batch(await this.lastBatchNumber())
  }

  async batch(batch: number): Promise<MigrationRecord[]> {
    const rows: MigrationRecord[] = await this.db(this.table).select('migration', 'batch').where('batch', batch).orderBy('migration', 'desc')
    return rows.map((row) => ({ migration: row.migration, batch: Number(row.batch) }))
  }

  /** The last `count` migrations that ran, newest first. */
  async last(count: number): Promise<MigrationRecord[]> {
    const rows: MigrationRecord[] = await this.db(this.table)
      .select('migration', 'batch')
      .orderBy([
        { column: 'batch', order: 'desc' },
        { column: 'migration', order: 'desc' },
      ])
      .limit(count)
    return rows.map((row) => ({ migration: row.migration, batch: Number(row.batch) }))
  }

  async lastBatchNumber(): Promise<number> {
    const row = (await this.db(this.table).max({ batch: 'batch' }).first()) as { batch: number | string | null } | undefined
    return Number(row?.batch ?? 0)
  }

  async log(migration: string, batch: number, db: Knex = this.db): Promise<void> {
    await db(this.table).insert({ migration, batch })
  }

  async delete(migration: string, db: Knex = this.db): Promise<void> {
    await db(this.table).where('migration', migration).delete()
  }
}

import type { Knex } from 'knex'

/** A migration file's default export. `db` is the knex connection the migration runs on. */
export interface Migration {
  up(db: Knex): Promise<void>
  down(db: Knex): Promise<void>
  /** Run outside a transaction (MySQL DDL cannot be rolled back anyway). Default false. */
  withoutTransaction?: boolean
}

export function defineMigration(migration: Migration): Migration {
  return migration
}

/** The knex connection is PostgreSQL: for the few statements only it has (a migration setting a table's fillfactor, the queue dialect). */
export function isPostgres(db: Knex): boolean {
  const client = String((db.client as { config?: { client?: unknown } }).config?.client ?? '')
  return client === 'pg' || client === 'postgres' || client === 'postgresql'
}

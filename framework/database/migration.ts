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

import type { Knex } from 'knex'
import type { ConnectionConfig } from './config.ts'

/**
 * Drops every table of the connection (what `migrate:fresh` starts with), ignoring foreign keys
 * between them: SQLite turns `foreign_keys` off around the drops, PostgreSQL uses CASCADE on the
 * connection's schema, MySQL/MariaDB turn `FOREIGN_KEY_CHECKS` off on one pinned connection.
 * Returns the names of the dropped tables.
 */
export async function dropAllTables(db: Knex, config: ConnectionConfig): Promise<string[]> {
  if (config.driver === 'sqlite') return dropSqliteTables(db)
  if (config.driver === 'pgsql') return dropPostgresTables(db, config.schema)
  return dropMysqlTables(db)
}

async function dropSqliteTables(db: Knex): Promise<string[]> {
  const rows = (await db.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")) as { name: string }[]
  const tables = rows.map((row) => row.name)
  if (tables.length === 0) return tables
  // The pool holds one SQLite connection, so the pragma applies to the drops below. It is a no-op
  // inside a transaction, hence no transaction here.
  await db.raw('pragma foreign_keys = off')
  try {
    for (const table of tables) await db.schema.dropTableIfExists(table)
  } finally {
    await db.raw('pragma foreign_keys = on')
  }
  return tables
}

async function dropPostgresTables(db: Knex, schema: string | undefined): Promise<string[]> {
  const result = (await db.raw('select tablename as name, schemaname as schema from pg_tables where schemaname = coalesce(?, current_schema())', [
    schema ?? null,
  ])) as { rows: { name: string; schema: string }[] }
  const rows = result.rows
  if (rows.length === 0) return []
  const list = rows.map((row) => `${quotePg(row.schema)}.${quotePg(row.name)}`).join(', ')
  await db.raw(`drop table if exists ${list} cascade`)
  return rows.map((row) => row.name)
}

async function dropMysqlTables(db: Knex): Promise<string[]> {
  // A transaction pins one connection so that FOREIGN_KEY_CHECKS=0 covers the DROP (the DROP commits
  // implicitly; that is fine, we only need the session setting).
  return db.transaction(async (trx) => {
    const [rows] = (await trx.raw(
      "select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'",
    )) as [{ name: string }[]]
    const tables = rows.map((row) => row.name)
    if (tables.length === 0) return tables
    await trx.raw('set foreign_key_checks = 0')
    try {
      await trx.raw(`drop table if exists ${tables.map(quoteMysql).join(', ')}`)
    } finally {
      await trx.raw('set foreign_key_checks = 1')
    }
    return tables
  })
}

function quotePg(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function quoteMysql(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``
}

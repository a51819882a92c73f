import type { Knex } from 'knex'

/**
 * The SQL of the database store, per dialect, in one place. Expiry uses the database server's clock (never
 * the process clock), so machines with drifting clocks agree on when a key or a lock expires.
 * Expirations are whole seconds (Laravel's `expiration` int column), rounded up so a TTL is never shorter
 * than asked.
 */
export type SqlDialect = 'pg' | 'mysql' | 'sqlite'

/** Laravel stores "forever" as ten years from now. */
export const FOREVER_SECONDS = 315_360_000

export function dialectOf(db: Knex): SqlDialect {
  const dialect = (db.client as { dialect?: string }).dialect
  if (dialect === 'postgresql') return 'pg'
  if (dialect === 'mysql' || dialect === 'mysql2') return 'mysql'
  return 'sqlite'
}

/** The server's current epoch time in seconds (with fractions). */
export function nowSql(dialect: SqlDialect): string {
  switch (dialect) {
    case 'pg':
      return 'extract(epoch from now())'
    case 'mysql':
      return 'UNIX_TIMESTAMP(NOW(6))'
    case 'sqlite':
      return "((julianday('now') - 2440587.5) * 86400.0)"
  }
}

/** `now + ?` seconds as a whole number, rounded up; takes one binding (the seconds). */
export function expiresSql(dialect: SqlDialect): string {
  switch (dialect) {
    case 'pg':
      return 'ceil(extract(epoch from now()))::bigint + ?'
    case 'mysql':
      return 'CEIL(UNIX_TIMESTAMP(NOW(6))) + ?'
    case 'sqlite':
      return `CAST(${nowSql('sqlite')} AS INTEGER) + 1 + CAST(? AS INTEGER)`
  }
}

/**
 * Inserts `(key, column=value, expiration)` unless a live row has that key; an expired row is taken over.
 * True when this call wrote the row. PostgreSQL and SQLite do it in one upsert; MariaDB/MySQL deletes the
 * expired row then INSERT IGNOREs, which is just as safe: only one concurrent insert can win the key, and
 * the delete never removes a live row.
 */
export async function claimRow(db: Knex, table: string, column: string, key: string, value: string, seconds: number): Promise<boolean> {
  const dialect = dialectOf(db)
  const now = nowSql(dialect)
  const expires = expiresSql(dialect)
  if (dialect === 'mysql') {
    await db.raw(`DELETE FROM ?? WHERE ?? = ? AND ?? <= ${now}`, [table, 'key', key, 'expiration'])
    const [result] = (await db.raw(`INSERT IGNORE INTO ?? (??, ??, ??) VALUES (?, ?, ${expires})`, [table, 'key', column, 'expiration', key, value, seconds])) as [{ affectedRows: number }]
    return result.affectedRows > 0
  }
  const sql =
    `INSERT INTO ?? (??, ??, ??) VALUES (?, ?, ${expires}) ` +
    `ON CONFLICT (??) DO UPDATE SET ?? = excluded.??, ?? = excluded.?? WHERE ??.?? <= ${now} RETURNING ??`
  const bindings = [table, 'key', column, 'expiration', key, value, seconds, 'key', column, column, 'expiration', 'expiration', table, 'expiration', 'key']
  return rowsOf(await db.raw(sql, bindings)).length > 0
}

/**
 * Adds `by` to a numeric value and returns the stored text; a missing or expired key starts from 0 and
 * expires after `seconds`; a live key keeps its expiry. A non-numeric value is left unchanged and returned as is (the
 * caller reports it). One upsert on PostgreSQL/SQLite; an upsert and a locked read in one transaction on
 * MariaDB/MySQL (no UPDATE ... RETURNING there).
 */
export async function incrementRow(db: Knex, table: string, key: string, by: number, seconds: number): Promise<string> {
  const dialect = dialectOf(db)
  const now = nowSql(dialect)
  const expires = expiresSql(dialect)
  // A JSON number starts with a digit or a minus sign; anything else is left alone.
  const numeric = (column: string) => `SUBSTR(${column}, 1, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')`
  const initial = JSON.stringify(by)
  if (dialect === 'mysql') {
    return db.transaction(async (trx) => {
      const sql =
        `INSERT INTO ?? (??, ??, ??) VALUES (?, ?, ${expires}) ON DUPLICATE KEY UPDATE ` +
        `?? = IF(?? <= ${now}, VALUES(??), IF(${numeric('`value`')}, CAST(?? + ? AS CHAR), ??)), ` +
        `?? = IF(?? <= ${now}, VALUES(??), ??)`
      await trx.raw(sql, [table, 'key', 'value', 'expiration', key, initial, seconds, 'value', 'expiration', 'value', 'value', by, 'value', 'expiration', 'expiration', 'expiration', 'expiration'])
      const [rows] = (await trx.raw('SELECT ?? FROM ?? WHERE ?? = ? FOR UPDATE', ['value', table, 'key', key])) as [{ value: string }[]]
      return rows[0]?.value ?? initial
    })
  }
  const sum = dialect === 'pg' ? `(??.??::numeric + ?)::text` : `CAST(CAST(??.?? AS NUMERIC) + CAST(? AS NUMERIC) AS TEXT)`
  const sql =
    `INSERT INTO ?? (??, ??, ??) VALUES (?, ?, ${expires}) ON CONFLICT (??) DO UPDATE SET ` +
    `?? = CASE WHEN ??.?? <= ${now} THEN excluded.?? WHEN ${numeric('??.??')} THEN ${sum} ELSE ??.?? END, ` +
    `?? = CASE WHEN ??.?? <= ${now} THEN excluded.?? ELSE ??.?? END RETURNING ??`
  const bindings = [
    table, 'key', 'value', 'expiration', key, initial, seconds, 'key',
    'value', table, 'expiration', 'value', table, 'value', table, 'value', by, table, 'value',
    'expiration', table, 'expiration', 'expiration', table, 'expiration', 'value',
  ]
  const [row] = rowsOf(await db.raw(sql, bindings)) as { value: string }[]
  return row?.value ?? initial
}

/** Rows of a raw result: pg gives `{ rows }`, better-sqlite3 gives the array itself. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result
  return (result as { rows?: unknown[] }).rows ?? []
}

import type { Knex } from 'knex'
import { isPostgres } from '../../database/migration.ts'

export type QueueEngine = 'sqlite' | 'pgsql' | 'mysql'

/**
 * Everything that differs between SQLite, PostgreSQL and MariaDB/MySQL for the database queue and the
 * failed-job store, in one place. The SQL operations (database-queries.ts) read these capabilities and
 * fragments instead of testing engine names.
 *
 * Time is always the database server's clock, as unix seconds: several machines may share one queue,
 * and their clocks need not agree with each other, only with the server.
 */
export interface QueueDialect {
  readonly engine: QueueEngine
  /** Unix seconds now, rounded down. */
  readonly now: string
  /** Unix seconds `?` seconds from now (one bound parameter), rounded up so a delay is never cut short. */
  readonly later: string
  /** Unix seconds now with their fraction: how far an idle worker is from the server's next second. */
  readonly clock: string
  /**
   * How a reservation is claimed atomically: one `UPDATE ... RETURNING` over a `FOR UPDATE SKIP LOCKED`
   * subquery (PostgreSQL), one `UPDATE ... RETURNING` (SQLite serializes writers, so no row locks are
   * needed), or `SELECT ... FOR UPDATE SKIP LOCKED` then `UPDATE` in a transaction (MariaDB/MySQL, whose
   * UPDATE has no RETURNING).
   */
  readonly claim: 'skip-locked-returning' | 'update-returning' | 'select-for-update'
  /** INSERT/DELETE ... RETURNING is available (PostgreSQL, SQLite, MariaDB). */
  readonly returning: boolean
  /**
   * A FROM item turning one bound JSON array of strings into rows `(payload, n)` in array order, so a
   * bulk insert binds one parameter instead of one per row (PostgreSQL); null: multi-row VALUES.
   */
  readonly jsonRows: string | null
  /** pg_notify wakes listening workers (PostgreSQL only). */
  readonly notify: boolean
  /**
   * Prefix that lets an acknowledgement (DELETE of finished jobs) commit without waiting for its WAL
   * flush (PostgreSQL `synchronous_commit = off`, one simple-protocol round trip). Safe for at-least-once:
   * a server crash can only lose the delete, and then the job runs again, as after a worker crash.
   * Claims and inserts always commit durably: a claim lost in a crash would reset attempts, and the
   * next claim would hand out the same (id, attempts) token again, letting a stale ack delete it.
   */
  readonly asyncAckPrefix: string | null
  /** A timestamp `?` hours ago (one bound parameter), comparable with a `timestamp` column. */
  readonly hoursAgo: string
  /** Quotes a table name; `schema.table` becomes two quoted parts. */
  quote(identifier: string): string
  /** The rows of a `knex.raw()` result. */
  rows<T>(result: unknown): T[]
  /** The number of rows an INSERT/UPDATE/DELETE touched. */
  affected(result: unknown): number
  /** The id of a single-row INSERT without RETURNING (MySQL). */
  insertId(result: unknown): number
  /** Transient contention errors that are safe to retry: SQLITE_BUSY, deadlocks. */
  isRetryable(error: unknown): boolean
  /** A unique-key violation (a failed job logged twice with the same uuid). */
  isUniqueViolation(error: unknown): boolean
  /** The table does not exist (its migration has not run). */
  isMissingTable(error: unknown): boolean
}

/** The dialect of a knex connection. MariaDB is told apart from MySQL by its version string. */
export async function dialectFor(db: Knex): Promise<QueueDialect> {
  if (isPostgres(db)) return pgsql
  const client = String((db.client as { config?: { client?: unknown } }).config?.client ?? '')
  if (client === 'mysql' || client === 'mysql2') {
    const version = mysql.rows<{ v: string }>(await db.raw('SELECT VERSION() AS v'))[0]?.v ?? ''
    return /mariadb/i.test(version) ? mariadb : mysql
  }
  return sqlite
}

const sqlite: QueueDialect = {
  engine: 'sqlite',
  now: 'unixepoch()',
  later: `CAST(ceil(unixepoch('subsec') + ?) AS INTEGER)`,
  clock: `unixepoch('subsec')`,
  claim: 'update-returning',
  returning: true,
  jsonRows: null,
  notify: false,
  // WAL with synchronous=NORMAL already commits without an fsync.
  asyncAckPrefix: null,
  hoursAgo: `datetime('now', '-' || ? || ' hours')`,
  quote: (identifier) => quoteParts(identifier, '"'),
  rows: <T>(result: unknown) => (Array.isArray(result) ? (result as T[]) : []),
  affected: (result) => Number((result as { changes?: number }).changes ?? 0),
  insertId: (result) => Number((result as { lastInsertRowid?: number | bigint }).lastInsertRowid ?? 0),
  isRetryable: (error) => /^SQLITE_BUSY|^SQLITE_LOCKED/.test(errorCode(error)),
  isUniqueViolation: (error) => /^SQLITE_CONSTRAINT_UNIQUE|^SQLITE_CONSTRAINT_PRIMARYKEY/.test(errorCode(error)),
  isMissingTable: (error) => errorCode(error) === 'SQLITE_ERROR' && /no such table/i.test(String((error as Error).message)),
}

const pgsql: QueueDialect = {
  engine: 'pgsql',
  now: 'floor(extract(epoch from clock_timestamp()))::bigint',
  later: 'ceil(extract(epoch from clock_timestamp()) + ?::float8)::bigint',
  clock: 'extract(epoch from clock_timestamp())::float8',
  claim: 'skip-locked-returning',
  returning: true,
  jsonRows: 'json_array_elements_text(?::json) WITH ORDINALITY AS rows (payload, n)',
  notify: true,
  asyncAckPrefix: 'SET LOCAL synchronous_commit TO OFF; ',
  hoursAgo: `now() - (? * interval '1 hour')`,
  quote: (identifier) => quoteParts(identifier, '"'),
  rows: <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? []),
  // A multi-statement simple query answers with one result per statement: the last one counts.
  affected: (result) => Number((Array.isArray(result) ? (result.at(-1) as { rowCount?: number }) : (result as { rowCount?: number }))?.rowCount ?? 0),
  insertId: () => 0,
  // 40P01 deadlock_detected, 40001 serialization_failure.
  isRetryable: (error) => ['40P01', '40001'].includes(errorCode(error)),
  isUniqueViolation: (error) => errorCode(error) === '23505',
  isMissingTable: (error) => errorCode(error) === '42P01',
}

const mysql: QueueDialect = {
  engine: 'mysql',
  now: 'UNIX_TIMESTAMP()',
  later: 'CAST(CEIL(UNIX_TIMESTAMP(NOW(6)) + ?) AS UNSIGNED)',
  clock: 'UNIX_TIMESTAMP(NOW(6))',
  claim: 'select-for-update',
  returning: false,
  jsonRows: null,
  notify: false,
  // innodb_flush_log_at_trx_commit is server-wide: not ours to change.
  asyncAckPrefix: null,
  hoursAgo: 'NOW() - INTERVAL ? HOUR',
  quote: (identifier) => quoteParts(identifier, '`'),
  rows: <T>(result: unknown) => {
    const first = Array.isArray(result) ? (result[0] as unknown) : undefined
    return Array.isArray(first) ? (first as T[]) : []
  },
  affected: (result) => Number((Array.isArray(result) ? (result[0] as { affectedRows?: number }) : undefined)?.affectedRows ?? 0),
  insertId: (result) => Number((Array.isArray(result) ? (result[0] as { insertId?: number }) : undefined)?.insertId ?? 0),
  // ER_LOCK_DEADLOCK (1213) and ER_LOCK_WAIT_TIMEOUT (1205): InnoDB rolled the statement back; run it again.
  isRetryable: (error) => ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'].includes(errorCode(error)),
  isUniqueViolation: (error) => errorCode(error) === 'ER_DUP_ENTRY',
  isMissingTable: (error) => errorCode(error) === 'ER_NO_SUCH_TABLE',
}

const mariadb: QueueDialect = { ...mysql, returning: true }

function quoteParts(identifier: string, mark: string): string {
  return identifier
    .split('.')
    .map((part) => `${mark}${part.split(mark).join(mark + mark)}${mark}`)
    .join('.')
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

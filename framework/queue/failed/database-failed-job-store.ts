import type { Knex } from 'knex'
import type { FailedJobRecord, FailedJobStore } from '../contracts.ts'
import { dialectFor, type QueueDialect } from '../drivers/database-dialect.ts'
import { QueueTableMissingError } from '../drivers/database-errors.ts'
import { retryOnContention } from '../drivers/database-retry.ts'

type NewFailedJob = Parameters<FailedJobStore['log']>[0]

interface Session {
  dialect: QueueDialect
  /** knex.raw on the store's connection, retried on contention; a missing table becomes E_QUEUE_TABLE_MISSING. */
  raw(sql: string, bindings?: readonly Knex.RawBinding[]): Promise<unknown>
}

interface FailedJobRow {
  id: unknown
  uuid: unknown
  connection: unknown
  queue: unknown
  payload: unknown
  exception: unknown
  failed_at: unknown
}

/**
 * Failed jobs in Laravel's `failed_jobs` table. The payload is stored exactly as the queue held it, so
 * `queue:retry` pushes back the same bytes (even a payload that could not be decoded). `take()` is one
 * atomic delete, so two concurrent retries re-enqueue a job once.
 */
export class DatabaseFailedJobStore implements FailedJobStore {
  private ready: Promise<Session> | null = null

  constructor(
    private readonly connect: () => Promise<Knex>,
    private readonly table: string,
  ) {}

  async log(record: NewFailedJob): Promise<number> {
    const { raw, dialect } = await this.open()
    const t = dialect.quote(this.table)
    const values = [record.uuid, record.connection, record.queue, record.payload, record.exception]
    const insert = `INSERT INTO ${t} (uuid, connection, queue, payload, exception, failed_at) VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)`
    try {
      if (!dialect.returning) return dialect.insertId(await raw(insert, values))
      return Number(dialect.rows<{ id: unknown }>(await raw(`${insert} RETURNING id`, values))[0]?.id)
    } catch (error) {
      if (!dialect.isUniqueViolation(error)) throw error
      // The same job failed again before anyone retried it: keep one record, with the latest failure.
      const update = `UPDATE ${t} SET connection = ?, queue = ?, payload = ?, exception = ?, failed_at = CURRENT_TIMESTAMP WHERE uuid = ?`
      await raw(update, [...values.slice(1), record.uuid])
      return (await this.find(record.uuid))?.id ?? 0
    }
  }

  /** Newest first, as Laravel lists them. */
  async all(options: { queue?: string } = {}): Promise<FailedJobRecord[]> {
    const { raw, dialect } = await this.open()
    const where = options.queue === undefined ? '' : ' WHERE queue = ?'
    const sql = `SELECT * FROM ${dialect.quote(this.table)}${where} ORDER BY id DESC`
    return dialect.rows<FailedJobRow>(await raw(sql, options.queue === undefined ? [] : [options.queue])).map(toRecord)
  }

  async find(idOrUuid: string): Promise<FailedJobRecord | null> {
    const { raw, dialect } = await this.open()
    const [column, value] = lookup(idOrUuid)
    const rows = dialect.rows<FailedJobRow>(await raw(`SELECT * FROM ${dialect.quote(this.table)} WHERE ${column} = ?`, [value]))
    return rows[0] ? toRecord(rows[0]) : null
  }

  async take(idOrUuid: string): Promise<FailedJobRecord | null> {
    const { raw, dialect } = await this.open()
    const [column, value] = lookup(idOrUuid)
    const t = dialect.quote(this.table)
    if (dialect.returning) {
      const rows = dialect.rows<FailedJobRow>(await raw(`DELETE FROM ${t} WHERE ${column} = ? RETURNING *`, [value]))
      return rows[0] ? toRecord(rows[0]) : null
    }
    // MySQL has no DELETE ... RETURNING. A record never changes once written, so read it, then the one
    // caller whose DELETE removed the row owns it.
    const found = await this.find(idOrUuid)
    if (!found) return null
    return dialect.affected(await raw(`DELETE FROM ${t} WHERE id = ?`, [found.id])) === 1 ? found : null
  }

  async forget(idOrUuid: string): Promise<boolean> {
    const { raw, dialect } = await this.open()
    const [column, value] = lookup(idOrUuid)
    return dialect.affected(await raw(`DELETE FROM ${dialect.quote(this.table)} WHERE ${column} = ?`, [value])) > 0
  }

  async flush(hours?: number): Promise<number> {
    const { raw, dialect } = await this.open()
    const t = dialect.quote(this.table)
    if (hours === undefined) return dialect.affected(await raw(`DELETE FROM ${t}`))
    return dialect.affected(await raw(`DELETE FROM ${t} WHERE failed_at <= ${dialect.hoursAgo}`, [hours]))
  }

  private open(): Promise<Session> {
    this.ready ??= (async () => {
      const db = await this.connect()
      const dialect = await dialectFor(db)
      const raw = async (sql: string, bindings: readonly Knex.RawBinding[] = []) => {
        try {
          // Single statements: safe to run again when SQLite is busy or the server reports a deadlock.
          return (await retryOnContention(dialect, () => db.raw(sql, bindings))) as unknown
        } catch (error) {
          if (dialect.isMissingTable(error)) throw new QueueTableMissingError(this.table, dialect.engine, error)
          throw error
        }
      }
      return { raw, dialect }
    })()
    this.ready.catch(() => (this.ready = null))
    return this.ready
  }
}

/** A whole number is an id; anything else a uuid. */
function lookup(idOrUuid: string): ['id' | 'uuid', string | number] {
  return /^\d+$/.test(idOrUuid) ? ['id', Number(idOrUuid)] : ['uuid', idOrUuid]
}

function toRecord(row: FailedJobRow): FailedJobRecord {
  return {
    id: Number(row.id),
    uuid: String(row.uuid),
    connection: String(row.connection),
    queue: String(row.queue),
    payload: String(row.payload),
    exception: String(row.exception),
    failedAt: toDate(row.failed_at),
  }
}

/** SQLite keeps CURRENT_TIMESTAMP as UTC text ('2026-11-23 18:00:00'); the servers hand back Dates. */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(value)) return new Date(`${value.replace(' ', 'T')}Z`)
  return new Date(value as string | number)
}

/**
 * The job_batches table (Laravel's columns; times are unix seconds). Counters change only through
 * single atomic statements (PostgreSQL, SQLite: `UPDATE ... RETURNING`) or a row-locked transaction
 * (MariaDB/MySQL, whose UPDATE returns nothing), and callers decide what to do next from the counts that
 * statement returned, never from a separate read: that is what makes `then` run exactly once when many
 * workers finish a batch's last jobs at the same moment.
 */
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { BatchTableMissingError } from './errors.ts'
import type { EncodedLink } from './payload-fields.ts'

/** What a batch stores besides its counters (Laravel's `options` column). */
export interface BatchOptions {
  allowFailures: boolean
  connection: string | null
  queue: string | null
  then: EncodedLink[]
  catch: EncodedLink[]
  finally: EncodedLink[]
}

export interface BatchRecord {
  id: string
  name: string
  totalJobs: number
  pendingJobs: number
  failedJobs: number
  failedJobIds: string[]
  options: BatchOptions
  createdAt: Date
  cancelledAt: Date | null
  finishedAt: Date | null
}

/** The counters as the atomic update left them. */
export interface BatchCounts {
  pendingJobs: number
  failedJobs: number
}

type Engine = 'sqlite' | 'pgsql' | 'mysql'

export class BatchRepository {
  private engine: Engine | undefined

  constructor(
    private readonly connect: () => Promise<Knex>,
    readonly table: string,
    private readonly connectionName: string,
  ) {}

  async store(name: string, options: BatchOptions): Promise<BatchRecord> {
    const id = randomUUID()
    const now = unixNow()
    await this.run(`INSERT INTO $TABLE (id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options, created_at) VALUES (?, ?, 0, 0, 0, '[]', ?, ?)`, [
      id,
      name,
      JSON.stringify(options),
      now,
    ])
    return { id, name, totalJobs: 0, pendingJobs: 0, failedJobs: 0, failedJobIds: [], options, createdAt: new Date(now * 1000), cancelledAt: null, finishedAt: null }
  }

  async find(id: string): Promise<BatchRecord | null> {
    const rows = await this.rows<BatchRow>(`SELECT * FROM $TABLE WHERE id = ?`, [id])
    return rows[0] ? toRecord(rows[0]) : null
  }

  /** Newest first. */
  async list(limit = 50): Promise<BatchRecord[]> {
    const rows = await this.rows<BatchRow>(`SELECT * FROM $TABLE ORDER BY created_at DESC, id DESC LIMIT ?`, [limit])
    return rows.map(toRecord)
  }

  /** Counts `amount` more jobs (before they are pushed, so no early finish); the batch is unfinished again. */
  async incrementTotalJobs(id: string, amount: number): Promise<void> {
    await this.run(`UPDATE $TABLE SET total_jobs = total_jobs + ?, pending_jobs = pending_jobs + ?, finished_at = NULL WHERE id = ?`, [amount, amount, id])
  }

  /** A job succeeded: one pending job fewer (and out of failedJobIds, if an earlier attempt had failed). */
  async decrementPendingJobs(id: string, jobId: string): Promise<BatchCounts | null> {
    switch (await this.dialect()) {
      case 'pgsql':
        return this.counts(`UPDATE $TABLE SET pending_jobs = pending_jobs - 1, failed_job_ids = (failed_job_ids::jsonb - ?::text)::text WHERE id = ? RETURNING pending_jobs, failed_jobs`, [jobId, id])
      case 'sqlite':
        return this.counts(
          `UPDATE $TABLE SET pending_jobs = pending_jobs - 1, failed_job_ids = (SELECT json_group_array(value) FROM json_each($TABLE.failed_job_ids) WHERE value <> ?) WHERE id = ? RETURNING pending_jobs, failed_jobs`,
          [jobId, id],
        )
      case 'mysql':
        return this.lockedUpdate(id, (row) => ({ pending: row.pendingJobs - 1, failed: row.failedJobs, ids: row.failedJobIds.filter((x) => x !== jobId) }))
    }
  }

  /** A job failed for good: one more failure, its id remembered. */
  async incrementFailedJobs(id: string, jobId: string): Promise<BatchCounts | null> {
    switch (await this.dialect()) {
      case 'pgsql':
        return this.counts(`UPDATE $TABLE SET failed_jobs = failed_jobs + 1, failed_job_ids = (failed_job_ids::jsonb || to_jsonb(?::text))::text WHERE id = ? RETURNING pending_jobs, failed_jobs`, [jobId, id])
      case 'sqlite':
        return this.counts(`UPDATE $TABLE SET failed_jobs = failed_jobs + 1, failed_job_ids = json_insert(failed_job_ids, '$[#]', ?) WHERE id = ? RETURNING pending_jobs, failed_jobs`, [jobId, id])
      case 'mysql':
        return this.lockedUpdate(id, (row) => ({ pending: row.pendingJobs, failed: row.failedJobs + 1, ids: [...row.failedJobIds, jobId] }))
    }
  }

  async markAsFinished(id: string): Promise<void> {
    await this.run(`UPDATE $TABLE SET finished_at = ? WHERE id = ?`, [unixNow(), id])
  }

  /** Cancels the batch; true only for the call that cancelled it (a second cancel changes nothing). */
  async cancel(id: string): Promise<boolean> {
    const now = unixNow()
    return (await this.affected(`UPDATE $TABLE SET cancelled_at = ?, finished_at = ? WHERE id = ? AND cancelled_at IS NULL`, [now, now, id])) > 0
  }

  async delete(id: string): Promise<boolean> {
    return (await this.affected(`DELETE FROM $TABLE WHERE id = ?`, [id])) > 0
  }

  /** Deletes finished batches finished before `before`; returns how many. */
  prune(before: Date): Promise<number> {
    return this.affected(`DELETE FROM $TABLE WHERE finished_at IS NOT NULL AND finished_at < ?`, [toUnix(before)])
  }

  /** Deletes unfinished batches created before `before`. */
  pruneUnfinished(before: Date): Promise<number> {
    return this.affected(`DELETE FROM $TABLE WHERE finished_at IS NULL AND created_at < ?`, [toUnix(before)])
  }

  /** Deletes cancelled batches created before `before`. */
  pruneCancelled(before: Date): Promise<number> {
    return this.affected(`DELETE FROM $TABLE WHERE cancelled_at IS NOT NULL AND created_at < ?`, [toUnix(before)])
  }

  // --- SQL plumbing ---------------------------------------------------------------------------------

  private async dialect(): Promise<Engine> {
    if (this.engine) return this.engine
    const client = String(((await this.connect()).client as { config?: { client?: unknown } }).config?.client ?? '')
    this.engine = /^(pg|postgres|postgresql)$/.test(client) ? 'pgsql' : /^mysql2?$/.test(client) ? 'mysql' : 'sqlite'
    return this.engine
  }

  private t(): string {
    return this.engine === 'mysql' ? `\`${this.table.replaceAll('`', '``')}\`` : `"${this.table.replaceAll('"', '""')}"`
  }

  private async counts(sql: string, bindings: Knex.RawBinding[]): Promise<BatchCounts | null> {
    const row = (await this.rows<{ pending_jobs: unknown; failed_jobs: unknown }>(sql, bindings))[0]
    return row ? { pendingJobs: Number(row.pending_jobs), failedJobs: Number(row.failed_jobs) } : null
  }

  /** MariaDB/MySQL: read the row under a lock, write the new counters, in one transaction. */
  private async lockedUpdate(id: string, change: (row: BatchRecord) => { pending: number; failed: number; ids: string[] }): Promise<BatchCounts | null> {
    const db = await this.connect()
    return this.guard(() =>
      db.transaction(async (trx) => {
        const [rows] = (await this.run(`SELECT * FROM $TABLE WHERE id = ? FOR UPDATE`, [id], trx)) as [BatchRow[]]
        const row = rows[0]
        if (!row) return null
        const next = change(toRecord(row))
        await this.run(`UPDATE $TABLE SET pending_jobs = ?, failed_jobs = ?, failed_job_ids = ? WHERE id = ?`, [next.pending, next.failed, JSON.stringify(next.ids), id], trx)
        return { pendingJobs: next.pending, failedJobs: next.failed }
      }),
    )
  }

  /** Runs `sql` with `$TABLE` standing for the quoted table name. */
  private async run(sql: string, bindings: Knex.RawBinding[], db?: Knex | Knex.Transaction): Promise<unknown> {
    const connection = db ?? (await this.connect())
    await this.dialect()
    return this.guard(() => connection.raw(sql.replaceAll('$TABLE', this.t()), bindings))
  }

  private async rows<T>(sql: string, bindings: Knex.RawBinding[]): Promise<T[]> {
    const result = await this.run(sql, bindings)
    if (Array.isArray(result)) return (this.engine === 'mysql' ? result[0] : result) as T[]
    return ((result as { rows?: T[] }).rows ?? []) as T[]
  }

  private async affected(sql: string, bindings: Knex.RawBinding[]): Promise<number> {
    const result = await this.run(sql, bindings)
    if (this.engine === 'pgsql') return (result as { rowCount?: number }).rowCount ?? 0
    if (this.engine === 'mysql') return (result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0
    return (result as { changes?: number }).changes ?? 0
  }

  private async guard<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query()
    } catch (error) {
      if (isMissingTable(error)) throw new BatchTableMissingError(this.table, this.connectionName, error)
      throw error
    }
  }
}

interface BatchRow {
  id: string
  name: string
  total_jobs: unknown
  pending_jobs: unknown
  failed_jobs: unknown
  failed_job_ids: unknown
  options: unknown
  cancelled_at: unknown
  created_at: unknown
  finished_at: unknown
}

function toRecord(row: BatchRow): BatchRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    totalJobs: Number(row.total_jobs),
    pendingJobs: Number(row.pending_jobs),
    failedJobs: Number(row.failed_jobs),
    failedJobIds: parseJson<string[]>(row.failed_job_ids, []),
    options: { ...EMPTY_OPTIONS, ...parseJson<Partial<BatchOptions>>(row.options, {}) },
    createdAt: fromUnix(row.created_at) ?? new Date(0),
    cancelledAt: fromUnix(row.cancelled_at),
    finishedAt: fromUnix(row.finished_at),
  }
}

const EMPTY_OPTIONS: BatchOptions = { allowFailures: false, connection: null, queue: null, then: [], catch: [], finally: [] }

function parseJson<T>(value: unknown, fallback: T): T {
  if (typeof value !== 'string' || value === '') return fallback
  try {
    return JSON.parse(value) as T
  } catch {
    return fallback
  }
}

function fromUnix(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value) * 1000)
}

function toUnix(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000)
}

function isMissingTable(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; message?: unknown }
  return e?.code === '42P01' || e?.errno === 1146 || e?.code === 'ER_NO_SUCH_TABLE' || (typeof e?.message === 'string' && /no such table/i.test(e.message))
}

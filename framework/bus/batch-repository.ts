/**
 * The job_batches table (Laravel's columns; times are unix seconds). Counters change only through
 * single atomic statements (PostgreSQL, SQLite: `UPDATE ... RETURNING`) or a row-locked transaction
 * (MariaDB/MySQL, whose UPDATE returns nothing), and callers decide what to do next from the counts that
 * statement returned, never from a separate read: that is what makes `then` run exactly once when many
 * workers finish a batch's last jobs at the same moment.
 *
 * A job's outcome is counted at most once: the counter update commits together with a mark
 * (`ok:<uuid>` or `fail:<uuid>`) in the marks table, and the callbacks that update decided are claimed
 * there too (marks `then`, `catch`, `finally`, owned by the deciding job's mark). A worker killed before
 * its ack leaves the job to run again; its second count finds the mark, changes nothing, and hands back
 * the claims the first one took, so the callbacks are pushed once they are acknowledged with the job.
 */
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { BatchMarksTableMissingError, BatchTableMissingError } from './errors.ts'
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
  cancelled: boolean
}

/** A batch callback claimed by the job whose count decided it. */
export type BatchClaim = 'then' | 'catch' | 'finally'

type Engine = 'sqlite' | 'pgsql' | 'mysql'
type Db = Knex | Knex.Transaction
const CLAIM_ORDER: readonly BatchClaim[] = ['then', 'catch', 'finally']

export class BatchRepository {
  private engine: Engine | undefined

  constructor(
    private readonly connect: () => Promise<Knex>,
    readonly table: string,
    private readonly connectionName: string,
    readonly marksTable = 'job_batch_marks',
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

  /**
   * Counts job `jobId`'s success in batch `id` once (one pending job fewer, out of failedJobIds; the batch
   * is finished when none is left) and yields the callbacks its count decided: `then` when it brought
   * pending_jobs to 0 (unless cancelled), `finally` when pending_jobs - failed_jobs reached 0. A second
   * call for the same job counts nothing and yields the same claims. Null when the batch is gone.
   */
  recordSuccess(id: string, jobId: string): Promise<BatchClaim[] | null> {
    return this.countOnce(id, jobId, 'ok')
  }

  /**
   * Counts job `jobId`'s failure once (`catch` for the first failure, `finally` when pending_jobs -
   * failed_jobs reached 0), as recordSuccess does. A job whose success was already counted (it ran, its
   * worker died before the ack, and the redelivery failed on its attempts) keeps that success: the
   * claims of the success come back instead.
   */
  recordFailure(id: string, jobId: string): Promise<BatchClaim[] | null> {
    return this.countOnce(id, jobId, 'fail')
  }

  /**
   * A failed member is being retried (queue:retry): whatever its new run ends in is a new outcome, not a
   * second run of the failed one, so the callbacks its failure claimed (and that already ran) are no
   * longer its to hand back. Its failure mark stays: failing again counts nothing and runs no callback
   * (as in Laravel); succeeding is counted as a success.
   */
  async forgetFailureClaims(id: string, jobId: string): Promise<void> {
    await this.run(`UPDATE $MARKS SET owner = NULL WHERE batch_id = ? AND owner = ?`, [id, `fail:${jobId}`])
  }

  async markAsFinished(id: string): Promise<void> {
    await this.run(`UPDATE $TABLE SET finished_at = ? WHERE id = ?`, [unixNow(), id])
  }

  /** Cancels the batch; true only for the call that cancelled it (a second cancel changes nothing). */
  async cancel(id: string): Promise<boolean> {
    const now = unixNow()
    return (await this.affected(`UPDATE $TABLE SET cancelled_at = ?, finished_at = ? WHERE id = ? AND cancelled_at IS NULL`, [now, now, id])) > 0
  }

  /** Deletes the batch and its marks. */
  async delete(id: string): Promise<boolean> {
    return (await this.deleteWhere(`id = ?`, [id])) > 0
  }

  /** Deletes finished batches finished before `before` (and their marks); returns how many. */
  prune(before: Date): Promise<number> {
    return this.deleteWhere(`finished_at IS NOT NULL AND finished_at < ?`, [toUnix(before)])
  }

  /** Deletes unfinished batches created before `before`. */
  pruneUnfinished(before: Date): Promise<number> {
    return this.deleteWhere(`finished_at IS NULL AND created_at < ?`, [toUnix(before)])
  }

  /** Deletes cancelled batches created before `before`. */
  pruneCancelled(before: Date): Promise<number> {
    return this.deleteWhere(`cancelled_at IS NOT NULL AND created_at < ?`, [toUnix(before)])
  }

  // --- SQL plumbing ---------------------------------------------------------------------------------

  private async dialect(): Promise<Engine> {
    if (this.engine) return this.engine
    const client = String(((await this.connect()).client as { config?: { client?: unknown } }).config?.client ?? '')
    this.engine = /^(pg|postgres|postgresql)$/.test(client) ? 'pgsql' : /^mysql2?$/.test(client) ? 'mysql' : 'sqlite'
    return this.engine
  }

  private t(table = this.table): string {
    return this.engine === 'mysql' ? `\`${table.replaceAll('`', '``')}\`` : `"${table.replaceAll('"', '""')}"`
  }

  /**
   * One transaction: the outcome's mark, the counters, and the claims the new counts decide. The batch row
   * is locked first, so the work on one batch's marks is serialized (no deadlocks between workers, and a
   * second run of the same job waits for the first to commit).
   */
  private async countOnce(id: string, jobId: string, outcome: 'ok' | 'fail'): Promise<BatchClaim[] | null> {
    const db = await this.connect()
    const engine = await this.dialect()
    const mark = `${outcome}:${jobId}`
    return this.guard(() =>
      db.transaction(async (trx) => {
        if (!(await this.lockBatch(id, engine, trx))) return null
        if (outcome === 'fail') {
          const succeeded = `ok:${jobId}`
          if ((await this.rows(`SELECT mark FROM $MARKS WHERE batch_id = ? AND mark = ?`, [id, succeeded], trx)).length > 0) return this.claimsOf(id, succeeded, trx)
        }
        if (!(await this.insertMark(id, mark, null, trx))) return this.claimsOf(id, mark, trx)
        const counts = outcome === 'ok' ? await this.countSuccess(id, jobId, trx) : await this.countFailure(id, jobId, trx)
        if (!counts) return null // not after lockBatch: the row is locked
        const decided: BatchClaim[] = []
        const allRan = counts.pendingJobs - counts.failedJobs === 0
        if (outcome === 'ok' && counts.pendingJobs === 0 && !counts.cancelled) decided.push('then')
        if (outcome === 'fail' && counts.failedJobs === 1) decided.push('catch')
        if (allRan) decided.push('finally')
        const claims: BatchClaim[] = []
        for (const claim of decided) if (await this.insertMark(id, claim, mark, trx)) claims.push(claim)
        return claims
      }),
    )
  }

  /**
   * Locks the batch row for the transaction; false when the batch is gone. SQLite takes its write lock
   * with a no-op update: a transaction that reads first and writes later fails (SQLITE_BUSY_SNAPSHOT)
   * when another process wrote in between, instead of waiting.
   */
  private async lockBatch(id: string, engine: Engine, trx: Db): Promise<boolean> {
    if (engine === 'sqlite') return (await this.affected(`UPDATE $TABLE SET pending_jobs = pending_jobs WHERE id = ?`, [id], trx)) > 0
    return (await this.rows(`SELECT id FROM $TABLE WHERE id = ? FOR UPDATE`, [id], trx)).length > 0
  }

  /** The callbacks the job's mark `owner` claimed, in the order they run. */
  private async claimsOf(id: string, owner: string, trx: Db): Promise<BatchClaim[]> {
    const rows = await this.rows<{ mark: string }>(`SELECT mark FROM $MARKS WHERE batch_id = ? AND mark IN ('then', 'catch', 'finally') AND owner = ?`, [id, owner], trx)
    const owned = new Set(rows.map((row) => String(row.mark)))
    return CLAIM_ORDER.filter((claim) => owned.has(claim))
  }

  /** Inserts a mark unless the batch has it; true when this call inserted it. */
  private async insertMark(id: string, mark: string, owner: string | null, trx: Db): Promise<boolean> {
    const values = `($MARKS_COLUMNS) VALUES (?, ?, ?)`
    const sql = {
      sqlite: `INSERT OR IGNORE INTO $MARKS ${values}`,
      pgsql: `INSERT INTO $MARKS ${values} ON CONFLICT DO NOTHING`,
      mysql: `INSERT IGNORE INTO $MARKS ${values}`,
    }[await this.dialect()]
    return (await this.affected(sql.replace('$MARKS_COLUMNS', 'batch_id, mark, owner'), [id, mark, owner], trx)) > 0
  }

  /** One pending job fewer (and out of failed_job_ids); finished when none is left. */
  private async countSuccess(id: string, jobId: string, trx: Db): Promise<BatchCounts | null> {
    const finished = `finished_at = CASE WHEN pending_jobs = 1 THEN ? ELSE finished_at END`
    switch (await this.dialect()) {
      case 'pgsql':
        return this.countsIn(`UPDATE $TABLE SET pending_jobs = pending_jobs - 1, failed_job_ids = (failed_job_ids::jsonb - ?::text)::text, ${finished} WHERE id = ? RETURNING pending_jobs, failed_jobs, cancelled_at`, [jobId, unixNow(), id], trx)
      case 'sqlite':
        return this.countsIn(
          `UPDATE $TABLE SET pending_jobs = pending_jobs - 1, failed_job_ids = (SELECT json_group_array(value) FROM json_each($TABLE.failed_job_ids) WHERE value <> ?), ${finished} WHERE id = ? RETURNING pending_jobs, failed_jobs, cancelled_at`,
          [jobId, unixNow(), id],
          trx,
        )
      case 'mysql':
        return this.lockedUpdateIn(id, trx, (row) => ({ pending: row.pendingJobs - 1, failed: row.failedJobs, ids: row.failedJobIds.filter((x) => x !== jobId) }))
    }
  }

  /** One more failure, its id remembered. */
  private async countFailure(id: string, jobId: string, trx: Db): Promise<BatchCounts | null> {
    switch (await this.dialect()) {
      case 'pgsql':
        return this.countsIn(`UPDATE $TABLE SET failed_jobs = failed_jobs + 1, failed_job_ids = (failed_job_ids::jsonb || to_jsonb(?::text))::text WHERE id = ? RETURNING pending_jobs, failed_jobs, cancelled_at`, [jobId, id], trx)
      case 'sqlite':
        return this.countsIn(`UPDATE $TABLE SET failed_jobs = failed_jobs + 1, failed_job_ids = json_insert(failed_job_ids, '$[#]', ?) WHERE id = ? RETURNING pending_jobs, failed_jobs, cancelled_at`, [jobId, id], trx)
      case 'mysql':
        return this.lockedUpdateIn(id, trx, (row) => ({ pending: row.pendingJobs, failed: row.failedJobs + 1, ids: [...row.failedJobIds, jobId] }))
    }
  }

  private async countsIn(sql: string, bindings: Knex.RawBinding[], trx: Db): Promise<BatchCounts | null> {
    const row = (await this.rows<{ pending_jobs: unknown; failed_jobs: unknown; cancelled_at: unknown }>(sql, bindings, trx))[0]
    return row ? { pendingJobs: Number(row.pending_jobs), failedJobs: Number(row.failed_jobs), cancelled: row.cancelled_at !== null && row.cancelled_at !== undefined } : null
  }

  /** MariaDB/MySQL inside countOnce's transaction (the row is already locked): read, compute, write. */
  private async lockedUpdateIn(id: string, trx: Db, change: (row: BatchRecord) => { pending: number; failed: number; ids: string[] }): Promise<BatchCounts | null> {
    const row = (await this.rows<BatchRow>(`SELECT * FROM $TABLE WHERE id = ? FOR UPDATE`, [id], trx))[0]
    if (!row) return null
    const record = toRecord(row)
    const next = change(record)
    const finishedAt = next.pending === 0 && record.pendingJobs !== 0 ? unixNow() : row.finished_at === null ? null : Number(row.finished_at)
    await this.run(`UPDATE $TABLE SET pending_jobs = ?, failed_jobs = ?, failed_job_ids = ?, finished_at = ? WHERE id = ?`, [next.pending, next.failed, JSON.stringify(next.ids), finishedAt, id], trx)
    return { pendingJobs: next.pending, failedJobs: next.failed, cancelled: record.cancelledAt !== null }
  }

  /** Deletes the batches matching `where` and their marks, in one transaction; returns how many batches. */
  private async deleteWhere(where: string, bindings: Knex.RawBinding[]): Promise<number> {
    const db = await this.connect()
    await this.dialect()
    return this.guard(() =>
      db.transaction(async (trx) => {
        await this.run(`DELETE FROM $MARKS WHERE batch_id IN (SELECT id FROM $TABLE WHERE ${where})`, bindings, trx)
        return this.affected(`DELETE FROM $TABLE WHERE ${where}`, bindings, trx)
      }),
    )
  }

  /** Runs `sql` with `$TABLE` and `$MARKS` standing for the quoted table names. */
  private async run(sql: string, bindings: Knex.RawBinding[], db?: Db): Promise<unknown> {
    const connection = db ?? (await this.connect())
    await this.dialect()
    return this.guard(() => connection.raw(sql.replaceAll('$TABLE', this.t()).replaceAll('$MARKS', this.t(this.marksTable)), bindings))
  }

  private async rows<T>(sql: string, bindings: Knex.RawBinding[], db?: Db): Promise<T[]> {
    const result = await this.run(sql, bindings, db)
    if (Array.isArray(result)) return (this.engine === 'mysql' ? result[0] : result) as T[]
    return ((result as { rows?: T[] }).rows ?? []) as T[]
  }

  private async affected(sql: string, bindings: Knex.RawBinding[], db?: Db): Promise<number> {
    const result = await this.run(sql, bindings, db)
    if (this.engine === 'pgsql') return (result as { rowCount?: number }).rowCount ?? 0
    if (this.engine === 'mysql') return (result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0
    return (result as { changes?: number }).changes ?? 0
  }

  private async guard<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query()
    } catch (error) {
      if (error instanceof BatchTableMissingError || error instanceof BatchMarksTableMissingError) throw error
      if (isMissingTable(error) && mentions(error, this.marksTable)) throw new BatchMarksTableMissingError(this.marksTable, this.connectionName, error)
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

function mentions(error: unknown, table: string): boolean {
  const message = (error as { message?: unknown })?.message
  return typeof message === 'string' && message.includes(table.split('.').at(-1) ?? table)
}

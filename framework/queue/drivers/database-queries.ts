import type { Knex } from 'knex'
import type { QueueDialect } from './database-dialect.ts'
import type { StatementRunner } from './database-sqlite-direct.ts'

/**
 * The SQL of the database queue, one small named function per operation (graphile-worker style).
 * Times come from the server's clock (`dialect.now`). A reservation is identified by (id, attempts):
 * every claim increments attempts, so a worker whose reservation expired and was claimed again holds a
 * stale pair and its delete/release/touch matches no row.
 */

export interface JobTable {
  db: Knex | Knex.Transaction
  dialect: QueueDialect
  table: string
  /** Runs statements outside knex's query builder (prepared once per connection: SQLite, PostgreSQL); only with `db` itself, never a transaction. */
  direct?: StatementRunner | null
}

export interface ClaimedRow {
  id: string
  payload: string
  attempts: number
}

export interface ReservationKey {
  id: string
  attempts: number
}

/** The channel pg_notify announces new jobs on; the payload is `<table>:<queue>`. */
export const NOTIFY_CHANNEL = 'kiln_jobs'

/** Inserts payloads on one queue, available after `delay` seconds; returns their ids in order. */
export async function insertJobs(jt: JobTable, queue: string, payloads: string[], delay: number): Promise<string[]> {
  const { db, dialect, table } = jt
  const available = delay > 0 ? dialect.later : dialect.now
  const delayBinding = delay > 0 ? [delay] : []
  const columns = `INSERT INTO ${dialect.quote(table)} (queue, payload, attempts, reserved_at, available_at, created_at)`

  if (dialect.jsonRows !== null) {
    const insert = `${columns} SELECT ?, rows.payload, 0, NULL, ${available}, ${dialect.now} FROM ${dialect.jsonRows} ORDER BY rows.n RETURNING id`
    const bindings = [queue, ...delayBinding, JSON.stringify(payloads)]
    // One statement inserts and notifies, so the NOTIFY commits (or rolls back) with the rows. A delayed
    // job wakes nobody: workers find it when their sleep ends.
    const notify = dialect.notify && delay <= 0
    // The ids come back as one text value ("7,8,9") rather than a row each: for a bulk of 1,000 the
    // client parsed 1,000 rows to read 1,000 numbers. As a prepared statement (raw() with the driver's
    // direct runner), the server plans this insert once per connection rather than on every call.
    const sql = `WITH inserted AS (${insert}) SELECT string_agg(inserted.id::text, ',' ORDER BY inserted.id) AS ids${notify ? ', (SELECT pg_notify(?, ?)) AS notified' : ''} FROM inserted`
    const result = await raw(jt, sql, notify ? [...bindings, NOTIFY_CHANNEL, `${table}:${queue}`] : bindings)
    const ids = dialect.rows<{ ids: string | null }>(result)[0]?.ids
    return ids ? ids.split(',') : []
  }
  const row = `(?, ?, 0, NULL, ${available}, ${dialect.now})`
  const insert = `${columns} VALUES ${payloads.map(() => row).join(', ')}`
  const bindings = payloads.flatMap((payload) => [queue, payload, ...delayBinding])
  if (dialect.returning) {
    const result = await raw(jt, `${insert} RETURNING id`, bindings)
    return dialect
      .rows<{ id: unknown }>(result)
      .map((r) => String(r.id))
      .sort(byNumericId)
  }
  // MySQL: a multi-row insert hands out consecutive ids from the first (innodb_autoinc_lock_mode 0/1).
  const first = dialect.insertId(await db.raw(insert, bindings))
  return payloads.map((_, i) => String(first + i))
}

/** Reserves up to `max` available jobs of `queue` (FIFO by id), counting an attempt for each. */
export async function claimJobs(jt: JobTable, queue: string, max: number, retryAfter: number): Promise<ClaimedRow[]> {
  const { db, dialect, table } = jt
  const t = dialect.quote(table)
  const claimable = claimableWhere(dialect)
  const bindings = [queue, retryAfter, max]
  const set = claimSet(dialect)

  if (dialect.claim === 'skip-locked-returning') {
    // A literal LIMIT and ORDER BY queue, id: a generic plan on the (queue, id) index, see deleteAndClaim.
    const sql = `WITH claimable AS (SELECT id FROM ${t} WHERE ${claimable} ORDER BY queue, id LIMIT ${integer(max)} FOR UPDATE SKIP LOCKED)
      UPDATE ${t} SET ${set} FROM claimable WHERE ${t}.id = claimable.id RETURNING ${t}.id, ${t}.payload, ${t}.attempts`
    return sortClaimed(dialect.rows<ClaimedRow>(await raw(jt, sql, [queue, retryAfter])))
  }
  if (dialect.claim === 'update-returning') {
    const sql = `UPDATE ${t} SET ${set} WHERE id IN (SELECT id FROM ${t} WHERE ${claimable} ORDER BY id LIMIT ?) RETURNING id, payload, attempts`
    return sortClaimed(dialect.rows<ClaimedRow>(await raw(jt, sql, bindings)))
  }
  const claim = async (trx: Knex.Transaction | Knex): Promise<ClaimedRow[]> => {
    const locked = dialect.rows<ClaimedRow>(
      await trx.raw(`SELECT id, payload, attempts FROM ${t} WHERE ${claimable} ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`, bindings),
    )
    if (locked.length === 0) return []
    await trx.raw(`UPDATE ${t} SET ${set} WHERE id IN (${locked.map(() => '?').join(', ')})`, locked.map((row) => row.id))
    return sortClaimed(locked.map((row) => ({ ...row, attempts: Number(row.attempts) + 1 })))
  }
  // READ COMMITTED: no gap locks, so concurrent claims and inserts do not deadlock each other.
  return isTransaction(db) ? claim(db) : db.transaction(claim, { isolationLevel: 'read committed' })
}

/**
 * Acknowledges `keys` (as deleteReservations does) and reserves up to `max` jobs of `queue`, atomically:
 * one statement on PostgreSQL (a data-modifying CTE), one transaction elsewhere. The rows being deleted
 * are never claimed, even when their reservation has expired.
 */
export async function deleteAndClaim(table: JobTable, keys: ReservationKey[], queue: string, max: number, retryAfter: number): Promise<ClaimedRow[]> {
  const { db, dialect } = table
  if (keys.length === 0) return claimJobs(table, queue, max, retryAfter)
  if (dialect.claim === 'skip-locked-returning' && !isTransaction(db)) {
    const t = dialect.quote(table.table)
    const claimed = (deleted: string, notDeleted: string, limit: string) => `WITH deleted AS (DELETE FROM ${t} WHERE reserved_at IS NOT NULL AND ${deleted} RETURNING id),
      claimable AS (SELECT id FROM ${t} WHERE ${claimableWhere(dialect)} AND ${notDeleted}
        ORDER BY queue, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE ${t} SET ${claimSet(dialect)} FROM claimable WHERE ${t}.id = claimable.id RETURNING ${t}.id, ${t}.payload, ${t}.attempts`
    // One key (a worker taking its next job): scalar parameters and a literal LIMIT give every execution
    // the same estimates, so PostgreSQL settles on a generic plan after five runs instead of planning
    // each claim again; ORDER BY queue, id keeps that plan on the (queue, id) index whatever the queue.
    // Many keys (batched acks) stay arrays, planned per execution, a cost shared by the whole batch.
    if (keys.length === 1) {
      const [key] = keys as [ReservationKey]
      const sql = claimed('id = ? AND attempts = ?', 'id <> ?', integer(max))
      return sortClaimed(dialect.rows<ClaimedRow>(await raw(table, sql, [key.id, key.attempts, queue, retryAfter, key.id])))
    }
    const owned = heldBy(dialect, keys)
    const sql = claimed(owned.sql, 'id <> ALL(?::bigint[])', '?')
    const bindings = [...owned.bindings, queue, retryAfter, integerArray(keys.map((key) => key.id)), max]
    return sortClaimed(dialect.rows<ClaimedRow>(await raw(table, sql, bindings)))
  }
  const both = async (trx: Knex.Transaction | Knex): Promise<ClaimedRow[]> => {
    const within = { ...table, db: trx }
    await deleteReservations(within, keys)
    return claimJobs(within, queue, max, retryAfter)
  }
  // SQLite runs in-process: there is no round trip to save, and knex's BEGIN/COMMIT cost more than the
  // second commit (WAL, synchronous=NORMAL) they would spare. Delete-then-claim is what delete() + pop() do.
  if (isTransaction(db) || dialect.engine === 'sqlite') return both(db)
  // MySQL: READ COMMITTED, as claimJobs uses (no gap locks between claims and inserts).
  return db.transaction(both, dialect.claim === 'select-for-update' ? { isolationLevel: 'read committed' } : undefined)
}

/** Acknowledges reservations: deletes the rows still held by these (id, attempts) pairs. */
export async function deleteReservations(jt: JobTable, keys: ReservationKey[]): Promise<number> {
  const { db, dialect, table } = jt
  if (keys.length === 0) return 0
  const sql = `DELETE FROM ${dialect.quote(table)} WHERE reserved_at IS NOT NULL AND`
  if (dialect.asyncAckPrefix === null || isTransaction(db)) {
    const owned = heldBy(dialect, keys)
    return dialect.affected(await raw(jt, `${sql} ${owned.sql}`, owned.bindings))
  }
  // Bound parameters force the extended protocol, which takes one statement: inline the integers instead.
  return dialect.affected(await raw(jt, `${dialect.asyncAckPrefix}${sql} ${heldBy(dialect, keys, true).sql}`, []))
}

/** Puts a reserved job back, available after `delay` seconds. False when the reservation is stale. */
export async function releaseReservation(jt: JobTable, key: ReservationKey, delay: number): Promise<boolean> {
  const { dialect, table } = jt
  const available = delay > 0 ? dialect.later : dialect.now
  const sql = `UPDATE ${dialect.quote(table)} SET reserved_at = NULL, available_at = ${available} WHERE id = ? AND attempts = ? AND reserved_at IS NOT NULL`
  const result = await raw(jt, sql, delay > 0 ? [delay, ...keyBindings(key)] : keyBindings(key))
  return dialect.affected(result) === 1
}

/**
 * Gives back reservations whose jobs never ran (a stopping worker's prefetched jobs): available at once,
 * and the attempt their claim counted is taken back. Only rows still held by these exact (id, attempts)
 * pairs change, so a reservation that expired and was claimed again is left alone. The pair the next
 * claim hands out equals the one given back; that is safe because its only holder just gave it up.
 * Returns how many rows were given back.
 */
export async function returnReservations(jt: JobTable, keys: ReservationKey[]): Promise<number> {
  const { dialect, table } = jt
  if (keys.length === 0) return 0
  const owned = heldBy(dialect, keys)
  const sql = `UPDATE ${dialect.quote(table)} SET reserved_at = NULL, attempts = attempts - 1 WHERE reserved_at IS NOT NULL AND attempts > 0 AND ${owned.sql}`
  return dialect.affected(await raw(jt, sql, owned.bindings))
}

/**
 * Deletes the jobs of `queue` whose payload is one of `bodies` and that no worker holds: pushes answered
 * as failed that the server may have committed (in-doubt-pushes.ts). Counts those a worker already holds.
 */
export async function withdrawJobs(jt: JobTable, queue: string, bodies: readonly string[]): Promise<{ withdrawn: number; claimed: number }> {
  const { dialect, table } = jt
  const among = `queue = ? AND payload IN (${bodies.map(() => '?').join(', ')})`
  const withdrawn = dialect.affected(await jt.db.raw(`DELETE FROM ${dialect.quote(table)} WHERE reserved_at IS NULL AND ${among}`, [queue, ...bodies]))
  if (withdrawn === bodies.length) return { withdrawn, claimed: 0 }
  const held = dialect.rows<{ n: unknown }>(await jt.db.raw(`SELECT COUNT(*) AS n FROM ${dialect.quote(table)} WHERE ${among}`, [queue, ...bodies]))
  return { withdrawn, claimed: Number(held[0]?.n ?? 0) }
}

/** Renews a reservation's lease (reserved_at = now). False when the reservation is stale. */
export async function touchReservation(jt: JobTable, key: ReservationKey): Promise<boolean> {
  const { dialect, table } = jt
  const sql = `UPDATE ${dialect.quote(table)} SET reserved_at = ${dialect.now} WHERE id = ? AND attempts = ? AND reserved_at IS NOT NULL`
  return dialect.affected(await raw(jt, sql, keyBindings(key))) === 1
}

/** Jobs on `queue`: waiting, delayed and reserved. */
export async function countJobs({ db, dialect, table }: JobTable, queue: string): Promise<number> {
  const rows = dialect.rows<{ n: unknown }>(await db.raw(`SELECT COUNT(*) AS n FROM ${dialect.quote(table)} WHERE queue = ?`, [queue]))
  return Number(rows[0]?.n ?? 0)
}

/** Deletes every job of `queue`; returns how many. */
export async function deleteQueue({ db, dialect, table }: JobTable, queue: string): Promise<number> {
  return dialect.affected(await db.raw(`DELETE FROM ${dialect.quote(table)} WHERE queue = ?`, [queue]))
}

/**
 * Milliseconds until the next job of `queues` becomes claimable by the server's clock: a delayed job
 * reaching its `available_at` second, or a reservation passing `retry_after` (claimable once
 * `reserved_at + retry_after < now`). Null when no row is waiting for time to pass.
 */
export async function nextDueIn(jt: JobTable, queues: readonly string[], retryAfter: number): Promise<number | null> {
  const { dialect, table } = jt
  const sql = `SELECT MIN(CASE WHEN reserved_at IS NULL THEN available_at ELSE reserved_at + ? + 1 END) AS next_at, ${dialect.clock} AS clock
    FROM ${dialect.quote(table)} WHERE queue IN (${queues.map(() => '?').join(', ')})`
  const row = dialect.rows<{ next_at: unknown; clock: unknown }>(await raw(jt, sql, [retryAfter, ...queues]))[0]
  if (row?.next_at === null || row?.next_at === undefined) return null
  return (Number(row.next_at) - Number(row.clock)) * 1000
}

/** One statement through the direct runner when there is one, else knex. */
function raw(jt: JobTable, sql: string, bindings: readonly (string | number)[]): Promise<unknown> {
  if (jt.direct && !isTransaction(jt.db)) return jt.direct(sql, bindings)
  return jt.db.raw(sql, bindings as (string | number)[])
}

export function isTransaction(db: unknown): db is Knex.Transaction {
  return typeof db === 'function' && (db as { isTransaction?: unknown }).isTransaction === true
}

/**
 * Rows of one queue (bindings: queue, retry_after) that are available, or whose reservation expired.
 * The server's clock is read once per statement (a scalar subquery): PostgreSQL's clock_timestamp() is
 * volatile, and evaluated per scanned row it doubled the cost of stepping over reserved or delayed rows.
 */
function claimableWhere(dialect: QueueDialect): string {
  const now = `(SELECT ${dialect.now})`
  return `queue = ? AND ((reserved_at IS NULL AND available_at <= ${now}) OR reserved_at + ? < ${now})`
}

function claimSet(dialect: QueueDialect): string {
  return `reserved_at = ${dialect.now}, attempts = attempts + 1`
}

/**
 * The rows held by these reservations, as a condition. PostgreSQL: `id = ANY(ids)`, an index condition
 * whatever the table's statistics say, and each row's attempts looked up in a second array. (A semi-join
 * against unnest() of both arrays was planned as a nested loop over the whole table once ANALYZE had
 * seen a backlog of unreserved rows: 50-250 ms per batch of acks instead of under 1 ms.) Elsewhere OR-ed
 * pairs. `inline` spells the integers out, for the simple protocol, which takes no bound parameters.
 */
function heldBy(dialect: QueueDialect, keys: ReservationKey[], inline = false): { sql: string; bindings: string[] | (string | number)[] } {
  if (dialect.engine === 'pgsql') {
    const held = newestPerJob(keys)
    const ids = integerArray(held.map((key) => key.id))
    const attempts = integerArray(held.map((key) => key.attempts))
    const pairs = (a: string, b: string) => `id = ANY(${a}::bigint[]) AND attempts = (${b}::int[])[array_position(${a}::bigint[], id)]`
    return inline ? { sql: pairs(`'${ids}'`, `'${attempts}'`), bindings: [] } : { sql: pairs('?', '?'), bindings: [ids, attempts, ids] }
  }
  return { sql: `(${keys.map(() => '(id = ? AND attempts = ?)').join(' OR ')})`, bindings: keys.flatMap(keyBindings) }
}

/**
 * One key per job, the one with the most attempts: attempts only grow, so an older pair of the same job
 * (a reservation that expired and was claimed again by this same process) can match no row anyway.
 */
function newestPerJob(keys: ReservationKey[]): ReservationKey[] {
  const newest = new Map<string, ReservationKey>()
  for (const key of keys) {
    const seen = newest.get(key.id)
    if (!seen || key.attempts > seen.attempts) newest.set(key.id, key)
  }
  return newest.size === keys.length ? keys : [...newest.values()]
}

/** A PostgreSQL array literal of validated integers: `{1,2,3}`. */
function integerArray(values: (string | number)[]): string {
  return `{${values.map(integer).join(',')}}`
}

/** A non-negative integer as SQL text; anything else is a bug, never SQL. */
function integer(value: string | number): string {
  if (typeof value === 'number' ? Number.isSafeInteger(value) && value >= 0 : DIGITS.test(value)) return String(value)
  throw new TypeError(`Not a job id or attempts count: ${String(value)}`)
}

const DIGITS = /^\d{1,19}$/

function keyBindings(key: ReservationKey): (string | number)[] {
  return [key.id, key.attempts]
}

function sortClaimed(rows: ClaimedRow[]): ClaimedRow[] {
  return rows
    .map((row) => ({ id: String(row.id), payload: String(row.payload), attempts: Number(row.attempts) }))
    .sort((a, b) => byNumericId(a.id, b.id))
}

function byNumericId(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
}

/**
 * When each database server was last seen starting, on this machine's clock: learned from its uptime
 * whenever the pool opens a connection (after a restart every connection is new, so the first query
 * after it already knows). Queue workers hold off a server that has just started (database.ts), so a
 * producer can first withdraw an INSERT it answered as failed although the server committed it.
 */
import type { Knex } from 'knex'

/** Filled by a pool's afterCreate hook; attached to the knex instance the pool belongs to. */
export interface ServerStart {
  /** Local ms time the server started, or undefined before the first connection. */
  at?: number
}

const starts = new WeakMap<Knex, ServerStart>()

export function attachServerStart(db: Knex, start: ServerStart): void {
  starts.set(db, start)
}

/** Local ms time `db`'s server last started, as of its newest connection; undefined if unknown (SQLite, no connection yet). */
export function serverStartedAt(db: Knex): number | undefined {
  return starts.get(db)?.at
}

interface RawConnection {
  query(sql: string, callback: (error: Error | null, result: unknown) => void): unknown
}

const UPTIME_SQL = {
  // Fractional seconds.
  pgsql: `SELECT EXTRACT(EPOCH FROM now() - pg_postmaster_start_time()) AS uptime`,
  // Whole seconds: a server is taken to have started up to 1 s later than it did.
  mysql: `SHOW GLOBAL STATUS LIKE 'Uptime'`,
}

/** A pool afterCreate hook recording the server's start into `start`; a failed lookup only leaves it as it was. */
export function recordServerStart(driver: 'pgsql' | 'mysql', start: ServerStart) {
  return (conn: RawConnection, done: (error: Error | null, conn: unknown) => void): void => {
    conn.query(UPTIME_SQL[driver], (error, result) => {
      const seconds = error ? undefined : uptimeSeconds(driver, result)
      if (seconds !== undefined) start.at = Math.max(start.at ?? 0, Date.now() - seconds * 1000)
      done(null, conn)
    })
  }
}

function uptimeSeconds(driver: 'pgsql' | 'mysql', result: unknown): number | undefined {
  const rows = driver === 'pgsql' ? (result as { rows?: { uptime?: unknown }[] }).rows : (result as { Value?: unknown }[])
  const row = rows?.[0] as { uptime?: unknown; Value?: unknown } | undefined
  const value = Number(driver === 'pgsql' ? row?.uptime : row?.Value)
  return Number.isFinite(value) ? value : undefined
}

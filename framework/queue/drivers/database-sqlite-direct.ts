import type { Database, Statement } from 'better-sqlite3'
import type { Knex } from 'knex'

/** Runs one SQL statement with positional bindings; answers as `knex.raw()` does on better-sqlite3. */
export type StatementRunner = (sql: string, bindings: readonly unknown[]) => Promise<unknown>

/** Prepared statements kept per connection: enough for the driver's shapes (batched deletes vary by size). */
const MAX_CACHED = 256

/**
 * The queue's hot statements on SQLite, run on knex's own better-sqlite3 connection (so its pragmas, WAL
 * and busy_timeout apply, and knex transactions still serialize with them) but with statements prepared
 * once per connection instead of on every query: knex's per-query wrapper cost more than the SQL itself.
 * Null when the knex client does not hand out its connection.
 */
export function directSqlite(db: Knex): StatementRunner | null {
  const client = db.client as Partial<{
    acquireConnection(): Promise<Database>
    releaseConnection(connection: Database): Promise<unknown>
  }>
  if (typeof client.acquireConnection !== 'function' || typeof client.releaseConnection !== 'function') return null
  const acquire = client.acquireConnection.bind(client)
  const release = client.releaseConnection.bind(client)
  const prepared = new WeakMap<Database, Map<string, Statement>>()

  return async (sql, bindings) => {
    const connection = await acquire()
    try {
      let statements = prepared.get(connection)
      if (!statements) prepared.set(connection, (statements = new Map()))
      let statement = statements.get(sql)
      if (!statement) {
        if (statements.size >= MAX_CACHED) statements.clear()
        statement = connection.prepare(sql)
        statements.set(sql, statement)
      }
      return statement.reader ? statement.all(...bindings) : statement.run(...bindings)
    } finally {
      await release(connection)
    }
  }
}

/** How often an idle SQLite worker looks for commits by other connections: one in-memory read each. */
const COMMIT_POLL_MS = 4

/**
 * Calls `wake` once another connection commits to the database file (`PRAGMA data_version` changes; in
 * WAL mode that is a read of shared memory, no disk I/O), and stops when `stopped()` turns true. A
 * failure ends the watch quietly: the caller's own timeout still ends the wait.
 */
export async function watchCommits(run: StatementRunner, stopped: () => boolean, wake: () => void): Promise<void> {
  try {
    const first = await dataVersion(run)
    while (!stopped()) {
      await new Promise((resolve) => setTimeout(resolve, COMMIT_POLL_MS))
      if (stopped()) return
      if ((await dataVersion(run)) !== first) return wake()
    }
  } catch {
    // The connection closed under us (shutdown): nothing to watch.
  }
}

async function dataVersion(run: StatementRunner): Promise<number> {
  const rows = (await run('PRAGMA data_version', [])) as { data_version?: number }[]
  return Number(rows[0]?.data_version ?? 0)
}

import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { QueryConfig, QueryResult } from 'pg'
import type { StatementRunner } from './database-sqlite-direct.ts'

/** Named statements per process: the shapes are few (key lists are arrays; a claim has one per LIMIT, up to the concurrency). */
const MAX_NAMED = 256

/**
 * SQL text -> its statement name. The name is derived from the text, so drivers sharing a pooled
 * connection (two queue connections on one database, one per table) never give one name two texts,
 * which the pg client refuses.
 */
const names = new Map<string, { name: string; text: string }>()

interface PgConnection {
  query(config: QueryConfig | string): Promise<QueryResult>
}

/**
 * The queue's hot statements on PostgreSQL, on a connection of knex's own pool but as named prepared
 * statements: the server plans each shape once per connection instead of on every claim (planning the
 * claim cost more than running it), and knex's per-query builder work is skipped. A statement without
 * bindings goes as a simple query, so `SET LOCAL ...; DELETE ...` stays one round trip. Null when the
 * knex client does not hand out its connections.
 */
export function directPg(db: Knex): StatementRunner | null {
  const client = db.client as Partial<{
    acquireConnection(): Promise<PgConnection>
    releaseConnection(connection: PgConnection): Promise<unknown>
  }>
  if (typeof client.acquireConnection !== 'function' || typeof client.releaseConnection !== 'function') return null
  const acquire = client.acquireConnection.bind(client)
  const release = client.releaseConnection.bind(client)
  const prepare = (sql: string): QueryConfig => {
    let named = names.get(sql)
    if (!named) {
      const text = numbered(sql)
      // Past the cap, statements still run, unnamed (planned each time): never an unbounded cache.
      if (names.size >= MAX_NAMED) return { text }
      named = { name: `kiln_queue_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text }
      names.set(sql, named)
    }
    return { name: named.name, text: named.text }
  }

  return async (sql, bindings) => {
    const connection = await acquire()
    try {
      if (bindings.length === 0) return await connection.query(sql)
      return await connection.query({ ...prepare(sql), values: [...bindings] })
    } finally {
      await release(connection)
    }
  }
}

/** knex's `?` placeholders as PostgreSQL's `$1, $2, ...` (the driver's SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

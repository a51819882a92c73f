/**
 * The floor of a SQLite queue: better-sqlite3 in WAL mode doing, per job, the statements a queue needs:
 * INSERT, a single-statement claim (UPDATE ... RETURNING), DELETE. Synchronous, one connection.
 */
import { createRequire } from 'node:module'
import type { SqliteConnectionConfig } from '../../framework/database/config.ts'
import type { Task } from '../protocol.ts'
import { sharedClock, timedSince } from '../stats.ts'

const TABLE = 'raw_jobs'

interface SqliteStatement {
  run(...params: unknown[]): unknown
  get(...params: unknown[]): unknown
}

interface SqliteDatabase {
  pragma(sql: string): unknown
  exec(sql: string): unknown
  prepare(sql: string): SqliteStatement
  close(): void
}

export const loop: Task = async (args) => {
  if (args.target.kind !== 'sql' || args.target.engine !== 'sqlite') throw new Error('raw-sqlite runs on SQLite only')
  const config = args.target.config as SqliteConnectionConfig
  // better-sqlite3 ships no types; the few calls used here are typed below.
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDatabase
  const db = new Database(config.database)
  try {
    // The same pragmas Kiln's SQLite connections use (framework/database/database-manager.ts).
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    db.exec(
      `CREATE TABLE ${TABLE} (id integer PRIMARY KEY AUTOINCREMENT, queue varchar(255) NOT NULL, payload text NOT NULL, attempts integer NOT NULL DEFAULT 0, reserved_at integer, available_at integer NOT NULL, created_at integer NOT NULL);
       CREATE INDEX ${TABLE}_queue_index ON ${TABLE} (queue);`,
    )
    const insert = db.prepare(`INSERT INTO ${TABLE} (queue, payload, available_at, created_at) VALUES (?, ?, unixepoch(), unixepoch())`)
    const claim = db.prepare(
      `UPDATE ${TABLE} SET reserved_at = unixepoch(), attempts = attempts + 1 WHERE id = (SELECT id FROM ${TABLE} WHERE queue = ? AND reserved_at IS NULL AND available_at <= unixepoch() ORDER BY id LIMIT 1) RETURNING id, payload`,
    )
    const remove = db.prepare(`DELETE FROM ${TABLE} WHERE id = ?`)
    const start = sharedClock()
    for (let i = 0; i < args.jobs; i++) {
      insert.run('default', '{}')
      const row = claim.get('default') as { id: number } | undefined
      if (row) remove.run(row.id)
    }
    return { ...timedSince(args.jobs, start), note: 'INSERT + UPDATE ... RETURNING + DELETE, WAL, synchronous=NORMAL' }
  } finally {
    db.close()
  }
}

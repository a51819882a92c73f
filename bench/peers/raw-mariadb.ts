/**
 * The floor of a MariaDB/MySQL queue: an autocommit INSERT, then a claim (`SELECT ... FOR UPDATE SKIP
 * LOCKED` in a transaction) and its DELETE, one pair at a time per connection.
 */
import type { ServerConnectionConfig } from '../../framework/database/config.ts'
import type { Task } from '../protocol.ts'
import { sharedClock, timedSince } from '../stats.ts'

const TABLE = 'raw_jobs'

export const loop: Task = async (args) => {
  if (args.target.kind !== 'sql' || args.target.engine !== 'mysql') throw new Error('raw-mariadb runs on MariaDB/MySQL only')
  const config = args.target.config as ServerConnectionConfig
  const mysql = await import('mysql2/promise')
  const lanes = Math.max(1, args.concurrency ?? 1)
  const connections = await Promise.all(
    Array.from({ length: lanes }, () => mysql.createConnection({ host: config.host, port: config.port, user: config.username, password: config.password, database: config.database })),
  )
  try {
    await connections[0]!.query(
      `CREATE TABLE ${TABLE} (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, queue varchar(255) NOT NULL, payload longtext NOT NULL, attempts tinyint unsigned NOT NULL DEFAULT 0, reserved_at int unsigned NULL, available_at int unsigned NOT NULL, created_at int unsigned NOT NULL, INDEX ${TABLE}_queue_index (queue)) ENGINE=InnoDB`,
    )
    const perLane = Math.ceil(args.jobs / lanes)
    const start = sharedClock()
    await Promise.all(
      connections.map(async (db) => {
        for (let i = 0; i < perLane; i++) {
          await db.execute(`INSERT INTO ${TABLE} (queue, payload, available_at, created_at) VALUES (?, ?, ?, ?)`, ['default', '{}', now(), now()])
          await db.query('START TRANSACTION')
          const [rows] = await db.execute(`SELECT id, payload FROM ${TABLE} WHERE queue = ? AND available_at <= ? ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`, ['default', now()])
          const id = (rows as { id: number }[])[0]?.id
          if (id !== undefined) await db.execute(`DELETE FROM ${TABLE} WHERE id = ?`, [id])
          await db.query('COMMIT')
        }
      }),
    )
    return { ...timedSince(perLane * lanes, start), note: `INSERT + (SELECT ... SKIP LOCKED, DELETE) in a transaction, ${lanes} in flight` }
  } finally {
    await Promise.all(connections.map((db) => db.end()))
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000)
}

/**
 * The floor of any PostgreSQL queue: an autocommit INSERT followed by an atomic claim-and-delete
 * (`FOR UPDATE SKIP LOCKED`), one pair at a time per connection, with 1 or `concurrency` connections in
 * flight. A queue that beats this claims and acknowledges in batches.
 */
import type { ServerConnectionConfig } from '../../framework/database/config.ts'
import type { Task } from '../protocol.ts'
import { sharedClock, timedSince } from '../stats.ts'

const TABLE = 'raw_jobs'

export const loop: Task = async (args) => {
  if (args.target.kind !== 'sql' || args.target.engine !== 'pgsql') throw new Error('raw-pg runs on PostgreSQL only')
  const config = args.target.config as ServerConnectionConfig
  const { default: pg } = await import('pg')
  const lanes = Math.max(1, args.concurrency ?? 1)
  const clients = Array.from({ length: lanes }, () => new pg.Client({ host: config.host, port: config.port, user: config.username, database: config.database }))
  await Promise.all(clients.map((client) => client.connect()))
  try {
    await clients[0]!.query(
      `CREATE TABLE ${TABLE} (id bigserial PRIMARY KEY, queue varchar(255) NOT NULL, payload text NOT NULL, attempts smallint NOT NULL DEFAULT 0, reserved_at integer, available_at integer NOT NULL, created_at integer NOT NULL)`,
    )
    await clients[0]!.query(`CREATE INDEX ${TABLE}_queue_index ON ${TABLE} (queue)`)
    const perLane = Math.ceil(args.jobs / lanes)
    const start = sharedClock()
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < perLane; i++) {
          await client.query(`INSERT INTO ${TABLE} (queue, payload, available_at, created_at) VALUES ($1, $2, $3, $3)`, ['default', '{}', now()])
          await client.query(
            `DELETE FROM ${TABLE} WHERE id = (SELECT id FROM ${TABLE} WHERE queue = $1 AND available_at <= $2 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, payload`,
            ['default', now()],
          )
        }
      }),
    )
    return { ...timedSince(perLane * lanes, start), note: `INSERT + DELETE ... SKIP LOCKED RETURNING, ${lanes} in flight` }
  } finally {
    await Promise.all(clients.map((client) => client.end()))
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000)
}

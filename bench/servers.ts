/**
 * Fresh places to measure in: a database of its own per scenario (PostgreSQL, MariaDB), a temporary
 * SQLite file, or a key prefix of its own on the shared Redis server. Each is removed afterwards.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Target } from './protocol.ts'

export type SqlEngine = 'pgsql' | 'mysql' | 'sqlite'

export const servers = {
  pgsql: { host: process.env.KILN_BENCH_PG_HOST ?? '127.0.0.1', port: Number(process.env.KILN_BENCH_PG_PORT ?? 5432), user: process.env.KILN_BENCH_PG_USER ?? 'postgres' },
  mysql: { host: process.env.KILN_BENCH_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.KILN_BENCH_MYSQL_PORT ?? 3306), user: process.env.KILN_BENCH_MYSQL_USER ?? 'root' },
  redis: { host: process.env.KILN_BENCH_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.KILN_BENCH_REDIS_PORT ?? 6379) },
}

export interface Scratch {
  target: Target
  drop(): Promise<void>
}

/** True when something listens on the server's port. */
export function reachable(server: 'pgsql' | 'mysql' | 'redis', timeoutMs = 1500): Promise<boolean> {
  const { host, port } = servers[server]
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** A new, empty database (`kiln_bench_<random>`), or a new SQLite file, for one scenario. */
export async function freshDatabase(engine: SqlEngine): Promise<Scratch> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'))
    return {
      target: { kind: 'sql', engine, config: { driver: 'sqlite', database: join(dir, 'bench.sqlite') } },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const name = `kiln_bench_${randomBytes(4).toString('hex')}`
  await admin(engine, `CREATE DATABASE ${name}`)
  const { host, port, user } = servers[engine]
  return {
    target: { kind: 'sql', engine, config: { driver: engine, host, port, database: name, username: user, password: '' } },
    drop: () => admin(engine, engine === 'pgsql' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`),
  }
}

/** A key prefix of its own on the Redis server; dropping deletes every key under it. */
export async function freshRedisPrefix(): Promise<Scratch> {
  const prefix = `kiln_bench_${randomBytes(4).toString('hex')}`
  const { host, port } = servers.redis
  return {
    target: { kind: 'redis', host, port, prefix },
    drop: async () => {
      const { Redis } = await import('ioredis')
      const redis = new Redis({ host, port, lazyConnect: true })
      try {
        await redis.connect()
        let cursor = '0'
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          if (keys.length > 0) await redis.unlink(...keys)
          cursor = next
        } while (cursor !== '0')
      } finally {
        redis.disconnect()
      }
    },
  }
}

/** Runs one statement on the server's maintenance database. */
async function admin(engine: 'pgsql' | 'mysql', sql: string): Promise<void> {
  const { default: knex } = await import('knex')
  const { host, port, user } = servers[engine]
  const db =
    engine === 'pgsql'
      ? knex({ client: 'pg', connection: { host, port, user, database: 'postgres' } })
      : knex({ client: 'mysql2', connection: { host, port, user, password: '' } })
  try {
    await db.raw(sql)
  } finally {
    await db.destroy()
  }
}

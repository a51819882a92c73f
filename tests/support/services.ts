/**
 * Real services for tests. A suite that needs a server probes it first: on a laptop without the server
 * the suite is skipped with a loud message; in CI (`KILN_REQUIRE_SERVICES=1`) an unreachable server
 * fails the run instead.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConnectionConfig } from '../../framework/database/config.ts'

export type SqlEngine = 'sqlite' | 'pgsql' | 'mysql'
export type ServiceName = 'pgsql' | 'mysql' | 'redis'

export const SERVICES: Record<ServiceName, { host: string; port: number; label: string }> = {
  pgsql: { host: process.env.KILN_TEST_PG_HOST ?? '127.0.0.1', port: Number(process.env.KILN_TEST_PG_PORT ?? 5432), label: 'PostgreSQL' },
  mysql: { host: process.env.KILN_TEST_MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.KILN_TEST_MYSQL_PORT ?? 3306), label: 'MariaDB/MySQL' },
  redis: { host: process.env.KILN_TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.KILN_TEST_REDIS_PORT ?? 6379), label: 'Redis' },
}

export const servicesRequired = process.env.KILN_REQUIRE_SERVICES === '1'

function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
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

/** True when the service answers; false (with a loud warning) when not; throws in CI. */
export async function probeService(name: ServiceName): Promise<boolean> {
  const { host, port, label } = SERVICES[name]
  if (await canConnect(host, port)) return true
  const message = `${label} is not reachable on ${host}:${port}`
  if (servicesRequired) throw new Error(`${message}, and KILN_REQUIRE_SERVICES=1 forbids skipping. Start it (see DEVELOPERS.md).`)
  console.warn(`\n!!! SKIPPING: ${message}. Tests that need it are skipped. Set KILN_REQUIRE_SERVICES=1 to fail instead.\n`)
  return false
}

/** Engines whose server is reachable (sqlite always is). */
export async function availableEngines(): Promise<SqlEngine[]> {
  const engines: SqlEngine[] = ['sqlite']
  if (await probeService('pgsql')) engines.push('pgsql')
  if (await probeService('mysql')) engines.push('mysql')
  return engines
}

export interface TestDatabase {
  engine: SqlEngine
  /** A connection config for config/database.ts-shaped overrides. */
  config: ConnectionConfig
  drop(): Promise<void>
}

/**
 * A fresh, empty database of its own for one test file, so suites running in parallel on the same
 * server never see each other's tables.
 */
export async function createTestDatabase(engine: SqlEngine): Promise<TestDatabase> {
  const name = `kiln_t_${randomBytes(5).toString('hex')}`
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-sqlite-'))
    return {
      engine,
      config: { driver: 'sqlite', database: join(dir, 'database.sqlite') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const { default: knex } = await import('knex')
  const { host, port } = SERVICES[engine]
  const admin =
    engine === 'pgsql'
      ? knex({ client: 'pg', connection: { host, port, user: process.env.KILN_TEST_PG_USER ?? 'postgres', database: 'postgres' } })
      : knex({ client: 'mysql2', connection: { host, port, user: process.env.KILN_TEST_MYSQL_USER ?? 'root', password: '' } })
  try {
    await admin.raw(`CREATE DATABASE ${name}`)
  } finally {
    await admin.destroy()
  }
  const config: ConnectionConfig =
    engine === 'pgsql'
      ? { driver: 'pgsql', host, port, database: name, username: process.env.KILN_TEST_PG_USER ?? 'postgres', password: '' }
      : { driver: 'mysql', host, port, database: name, username: process.env.KILN_TEST_MYSQL_USER ?? 'root', password: '' }
  return {
    engine,
    config,
    drop: async () => {
      const dropper =
        engine === 'pgsql'
          ? knex({ client: 'pg', connection: { host, port, user: process.env.KILN_TEST_PG_USER ?? 'postgres', database: 'postgres' } })
          : knex({ client: 'mysql2', connection: { host, port, user: process.env.KILN_TEST_MYSQL_USER ?? 'root', password: '' } })
      try {
        await dropper.raw(engine === 'pgsql' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`)
      } finally {
        await dropper.destroy()
      }
    },
  }
}

import type { Knex } from 'knex'
import type { Application } from '../foundation/application.ts'
import type { ConnectionConfig } from './config.ts'
import { DatabaseConnectionRefusedError, DatabaseUnreachableError } from './errors.ts'
import { serverUnavailableReason } from './server-unavailable.ts'

/**
 * The knex connection `name` (default: DB_CONNECTION), after one round trip that proves it works.
 * A connection failure becomes a one-line KilnError naming the connection and where it points, instead
 * of a driver stack trace deep inside the first real query.
 */
export async function reachableConnection(app: Application, name?: string): Promise<{ db: Knex; name: string; config: ConnectionConfig }> {
  const manager = app.make('db')
  const connectionName = name ?? manager.defaultConnection
  const config = manager.connectionConfig(connectionName)
  let db: Knex
  try {
    db = await manager.connection(connectionName)
    await db.raw('select 1')
  } catch (error) {
    throw connectionError(error, connectionName, config) ?? error
  }
  return { db, name: connectionName, config }
}

/** Maps a driver's connection error to a KilnError; undefined for anything else (a real query error). */
export function connectionError(error: unknown, name: string, config: ConnectionConfig): Error | undefined {
  const code = errorCode(error)
  const where = describeTarget(config)
  if (!code) {
    // pg reports its connect timeout (DB_CONNECT_TIMEOUT) and dropped connections without a code.
    const reason = serverUnavailableReason(error)
    return reason === undefined ? undefined : new DatabaseUnreachableError(name, where, reason, { cause: error })
  }
  if (unreachableCodes.has(code)) return new DatabaseUnreachableError(name, where, reasonFor(code, error), { cause: error })
  if (refusedCodes.has(code)) return new DatabaseConnectionRefusedError(name, where, messageOf(error), { cause: error })
  return undefined
}

/** `127.0.0.1:5432/kiln` or the SQLite file; never the password. */
export function describeTarget(config: ConnectionConfig): string {
  if (config.driver === 'sqlite') return config.database
  if (config.url) {
    try {
      const url = new URL(config.url)
      return `${url.hostname}:${url.port || (config.driver === 'pgsql' ? 5432 : 3306)}${url.pathname}`
    } catch {
      return '(DB_URL)'
    }
  }
  return `${config.host}:${config.port}/${config.database}`
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'KnexTimeoutError',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
])

const refusedCodes = new Set([
  // PostgreSQL: bad password, no such role / database, too many connections.
  '28P01',
  '28000',
  '3D000',
  '53300',
  // MySQL / MariaDB.
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
])

const reasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running on that port?)',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  KnexTimeoutError: 'timed out waiting for a connection',
}

function reasonFor(code: string, error: unknown): string {
  return reasons[code] ?? messageOf(error)
}

/** Node 20 reports a refused dual-stack connect as an AggregateError whose code sits on it or its members. */
function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  if (error.name === 'KnexTimeoutError') return 'KnexTimeoutError'
  const own = (error as { code?: unknown }).code
  if (typeof own === 'string') return own
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = errorCode(inner)
      if (code) return code
    }
  }
  return undefined
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(messageOf).join('; ')
  return error instanceof Error ? error.message.replace(/\s+/g, ' ').trim() : String(error)
}

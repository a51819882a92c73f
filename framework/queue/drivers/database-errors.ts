import { KilnError } from '../../support/errors.ts'
import { serverUnavailableReason } from '../../database/server-unavailable.ts'
import { QUEUE_UNAVAILABLE_CLIENT_MESSAGE, ServiceUnavailableError } from '../../support/service-unavailable.ts'
import type { QueueDialect } from './database-dialect.ts'

/**
 * The queue's database server could not be reached (down, restarting, refusing connections, or not
 * answering the connect within DB_CONNECT_TIMEOUT). Raised instead of hanging: the job was not
 * confirmed, and the caller decides whether to retry. A connection lost in the middle of an INSERT may
 * still have committed it: the driver withdraws such a job once the server answers again
 * (in-doubt-pushes.ts), unless a worker claimed it first.
 */
export class DatabaseQueueUnavailableError extends ServiceUnavailableError {
  constructor(connectionName: string, engine: string, where: string, reason: string, cause: unknown) {
    super(
      'E_QUEUE_UNAVAILABLE',
      `Queue connection "${connectionName}" cannot reach its ${engine} database at ${where}: ${reason}. The operation was not confirmed; ` +
        'start the database server or check DB_HOST and DB_PORT (config/database.ts), then retry.',
      { cause, clientMessage: QUEUE_UNAVAILABLE_CLIENT_MESSAGE },
    )
  }
}

/** The jobs or failed_jobs table has not been created on the connection in use. */
export class QueueTableMissingError extends KilnError {
  constructor(table: string, engine: string, cause: unknown) {
    super(
      'E_QUEUE_TABLE_MISSING',
      `The "${table}" table does not exist in the ${engine} database. Run \`craft migrate\` (the skeleton ships its migration), or generate it first with \`craft queue:table\` / \`craft queue:failed-table\`.`,
      { cause },
    )
  }
}

/** Runs `operation`, turning "no such table" into QueueTableMissingError. */
export async function withTable<T>(dialect: QueueDialect, table: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (dialect.isMissingTable(error)) throw new QueueTableMissingError(table, dialect.engine, error)
    throw error
  }
}

/** The queue's database server, as DatabaseQueueUnavailableError names it. */
export interface QueueServer {
  /** The queue connection's name. */
  connection: string
  engine: string
  /** host:port/database, never the password. */
  where: string
}

/** Runs `operation`, turning "the server cannot be reached" into DatabaseQueueUnavailableError. */
export async function whileAvailable<T>(server: QueueServer, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    const reason = serverUnavailableReason(error)
    if (reason !== undefined) throw new DatabaseQueueUnavailableError(server.connection, server.engine, server.where, reason, error)
    throw error
  }
}

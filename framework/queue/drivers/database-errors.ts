import { KilnError } from '../../support/errors.ts'
import type { QueueDialect } from './database-dialect.ts'

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

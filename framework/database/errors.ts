import { KilnError } from '../support/errors.ts'
import { ServiceUnavailableError } from '../support/service-unavailable.ts'

export class UnknownDatabaseConnectionError extends KilnError {
  constructor(name: string, configured: string[]) {
    super(
      'E_UNKNOWN_DB_CONNECTION',
      `Database connection "${name}" is not configured. Configured connections: ${configured.join(', ') || '(none)'} (config/database.ts).`,
    )
  }
}

/** The server (or SQLite file) cannot be reached: nothing listens, wrong host, or the file cannot be opened. */
export class DatabaseUnreachableError extends ServiceUnavailableError {
  constructor(connection: string, where: string, reason: string, options?: { cause?: unknown }) {
    super(
      'E_DB_UNREACHABLE',
      `Cannot connect to the "${connection}" database at ${where}: ${reason}. Start the database server or fix DB_CONNECTION / DB_HOST / DB_PORT (or DB_DATABASE_SQLITE) in .env.`,
      { cause: options?.cause },
    )
  }
}

/** The server answered but refused us: wrong credentials or a database that does not exist. */
export class DatabaseConnectionRefusedError extends KilnError {
  constructor(connection: string, where: string, reason: string, options?: { cause?: unknown }) {
    super(
      'E_DB_CONNECTION_FAILED',
      `The "${connection}" database at ${where} refused the connection: ${reason}. Check DB_DATABASE, DB_USERNAME and DB_PASSWORD in .env (and create the database if it does not exist).`,
      options,
    )
  }
}

/** A migration file whose default export is not `defineMigration({ up, down })`. */
export class InvalidMigrationError extends KilnError {
  constructor(file: string, reason: string) {
    super('E_INVALID_MIGRATION', `The migration ${file} cannot be used: ${reason}. Its default export must be defineMigration({ up, down }).`)
  }
}

/** A migration's up() or down() threw. Says whether its changes were rolled back with it. */
export class MigrationFailedError extends KilnError {
  readonly migration: string

  constructor(migration: string, direction: 'up' | 'down', transactional: boolean, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause)
    const aftermath = transactional
      ? 'Its changes were rolled back and it was not recorded; fix it and run the command again.'
      : 'It ran outside a transaction (MySQL/MariaDB commit schema changes at once), so some of its statements may have been applied: check the schema by hand before running it again.'
    super('E_MIGRATION_FAILED', `Migration ${migration} failed (${direction}): ${reason}. ${aftermath}`, options)
    this.migration = migration
  }
}

/** `--pretend` needs a transaction to roll back, which MySQL/MariaDB cannot do for schema changes. */
export class PretendUnsupportedError extends KilnError {
  constructor(driver: string) {
    super('E_PRETEND_UNSUPPORTED', `--pretend is not available on ${driver}: its schema changes cannot be rolled back. Use it on SQLite or PostgreSQL.`)
  }
}

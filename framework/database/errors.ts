import { KilnError } from '../support/errors.ts'

export class UnknownDatabaseConnectionError extends KilnError {
  constructor(name: string, configured: string[]) {
    super(
      'E_UNKNOWN_DB_CONNECTION',
      `Database connection "${name}" is not configured. Configured connections: ${configured.join(', ') || '(none)'} (config/database.ts).`,
    )
  }
}

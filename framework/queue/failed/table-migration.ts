import { relative } from 'node:path'
import type { Application } from '../../foundation/application.ts'
import { writeMigrationFile } from '../../database/migration-files.ts'
import { renderStub } from '../../console/stubs.ts'

/**
 * Writes `create_<table>_table` into database/migrations from a queue stub (queue:table,
 * queue:failed-table, queue:batches-table). Refuses when that migration exists (E_MIGRATION_EXISTS).
 * Returns the new file's path relative to the app.
 */
export function generateTableMigration(app: Application, stub: string, table: string): string {
  const file = writeMigrationFile(app.databasePath('migrations'), `create_${table}_table`, renderStub(stub, { table }))
  return relative(app.basePath, file)
}

/** The jobs table of the first `database` queue connection (Laravel reads queue.connections.database.table). */
export function jobsTableName(app: Application): string {
  const connections = app.config('queue').connections
  const preferred = connections.database
  if (preferred?.driver === 'database') return preferred.table
  for (const config of Object.values(connections)) if (config.driver === 'database') return config.table
  return 'jobs'
}

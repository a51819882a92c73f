import { relative } from 'node:path'
import type { Application } from '../foundation/application.ts'
import { writeMigrationFile } from '../database/migration-files.ts'
import { renderStub } from '../console/stubs.ts'

/**
 * Writes `create_cache_table` (the cache and cache_locks tables of the first `database` cache store) into
 * database/migrations. Refuses when it exists (E_MIGRATION_EXISTS). Returns the path relative to the app.
 */
export function generateCacheTableMigration(app: Application): string {
  const { table, lockTable } = cacheTableNames(app)
  const file = writeMigrationFile(app.databasePath('migrations'), 'create_cache_table', renderStub('cache-table', { table, lockTable }))
  return relative(app.basePath, file)
}

function cacheTableNames(app: Application): { table: string; lockTable: string } {
  const stores = app.config('cache').stores
  const store = [stores.database, ...Object.values(stores)].find((config) => config?.driver === 'database')
  return store?.driver === 'database' ? { table: store.table, lockTable: store.lock_table ?? 'cache_locks' } : { table: 'cache', lockTable: 'cache_locks' }
}

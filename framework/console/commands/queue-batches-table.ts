import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Command } from '../command.ts'
import { findMigration, writeMigrationFile } from '../../database/migration-files.ts'
import { renderStub } from '../stubs.ts'

export default class QueueBatchesTableCommand extends Command {
  static override commandName = 'queue:batches-table'
  static override description = 'Create a migration for the batches database tables (batches and their marks)'

  async handle() {
    const batching = this.app.config('queue').batching
    const values = { table: batching?.table ?? 'job_batches', marksTable: batching?.marks_table ?? 'job_batch_marks' }
    const dir = this.app.databasePath('migrations')
    const existing = findMigration(dir, `create_${values.table}_table`)
    // An app whose batches migration predates the marks table gets a migration for that table alone.
    const stub = existing && !findMigration(dir, `create_${values.marksTable}_table`) && !readFileSync(join(dir, existing), 'utf8').includes(values.marksTable) ? 'queue-batch-marks-table' : 'queue-batches-table'
    const name = stub === 'queue-batches-table' ? `create_${values.table}_table` : `create_${values.marksTable}_table`
    const file = relative(this.app.basePath, writeMigrationFile(dir, name, renderStub(stub, values)))
    this.output.info(`Migration [${file}] created successfully.`)
  }
}

import { Command } from '../command.ts'
import { generateTableMigration } from '../../queue/failed/table-migration.ts'

export default class QueueFailedTableCommand extends Command {
  static override commandName = 'queue:failed-table'
  static override description = 'Create a migration for the failed queue jobs database table'

  async handle() {
    const file = generateTableMigration(this.app, 'queue-failed-table', this.app.config('queue').failed.table || 'failed_jobs')
    this.output.info(`Migration [${file}] created successfully.`)
  }
}

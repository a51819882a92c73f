import { Command } from '../command.ts'
import { generateTableMigration } from '../../queue/failed/table-migration.ts'

export default class QueueBatchesTableCommand extends Command {
  static override commandName = 'queue:batches-table'
  static override description = 'Create a migration for the batches database table'

  async handle() {
    const file = generateTableMigration(this.app, 'queue-batches-table', this.app.config('queue').batching?.table ?? 'job_batches')
    this.output.info(`Migration [${file}] created successfully.`)
  }
}

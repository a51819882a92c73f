import { Command } from '../command.ts'
import { generateTableMigration, jobsTableName } from '../../queue/failed/table-migration.ts'

export default class QueueTableCommand extends Command {
  static override commandName = 'queue:table'
  static override description = 'Create a migration for the queue jobs database table'

  async handle() {
    const file = generateTableMigration(this.app, 'queue-table', jobsTableName(this.app))
    this.output.info(`Migration [${file}] created successfully.`)
  }
}

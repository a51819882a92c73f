import { Command } from '../command.ts'
import { confirmToProceed, openMigrator } from './migrate.ts'

export default class DbWipeCommand extends Command {
  static override commandName = 'db:wipe'
  static override description = 'Drop all tables'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
  ]

  async handle() {
    confirmToProceed(this.app, this.input, 'db:wipe')
    const migrator = await openMigrator(this.app, this.input)
    await migrator.dropAllTables()
    this.output.info(`Dropped all tables successfully (connection "${migrator.connectionName}").`)
  }
}

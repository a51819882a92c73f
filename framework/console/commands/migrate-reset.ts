import { Command } from '../command.ts'
import { confirmToProceed, openMigrator, renderMigrationEvent } from './migrate.ts'

export default class MigrateResetCommand extends Command {
  static override commandName = 'migrate:reset'
  static override description = 'Rollback all database migrations'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--pretend', description: 'Dump the SQL queries that would be run' },
  ]

  async handle() {
    confirmToProceed(this.app, this.input, 'migrate:reset')
    const migrator = await openMigrator(this.app, this.input)
    let announced = false
    const rolledBack = await migrator.reset({
      pretend: this.input.boolean('pretend'),
      onMigration: (event) => {
        if (!announced) this.output.info('Rolling back migrations.')
        announced = true
        renderMigrationEvent(this.output, event)
      },
    })
    if (!announced && rolledBack.length === 0) this.output.info('Nothing to rollback.')
    else this.output.line()
  }
}

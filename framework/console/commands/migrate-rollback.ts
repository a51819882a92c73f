import { Command } from '../command.ts'
import { confirmToProceed, openMigrator, renderMigrationEvent } from './migrate.ts'

export default class MigrateRollbackCommand extends Command {
  static override commandName = 'migrate:rollback'
  static override description = 'Rollback the last database migration'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--pretend', description: 'Dump the SQL queries that would be run' },
    { flags: '--step <n>', description: 'The number of migrations to be reverted' },
    { flags: '--batch <n>', description: 'The batch of migrations (identified by their batch number) to be reverted' },
  ]

  async handle() {
    const step = this.input.integer('step', 1)
    const batch = this.input.integer('batch', 1)
    confirmToProceed(this.app, this.input, 'migrate:rollback')
    const migrator = await openMigrator(this.app, this.input)
    let announced = false
    const rolledBack = await migrator.rollback({
      step,
      batch,
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

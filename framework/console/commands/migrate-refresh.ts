import { Command } from '../command.ts'
import { confirmToProceed, openMigrator, renderMigrationEvent, runMigrations } from './migrate.ts'

export default class MigrateRefreshCommand extends Command {
  static override commandName = 'migrate:refresh'
  static override description = 'Reset and re-run all migrations'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--step <n>', description: 'The number of migrations to be reverted & re-run' },
  ]

  async handle() {
    const step = this.input.integer('step', 1)
    confirmToProceed(this.app, this.input, 'migrate:refresh')
    const migrator = await openMigrator(this.app, this.input)
    let announced = false
    const onMigration = (event: Parameters<typeof renderMigrationEvent>[1]) => {
      if (!announced) this.output.info('Rolling back migrations.')
      announced = true
      renderMigrationEvent(this.output, event)
    }
    if (step === undefined) await migrator.reset({ onMigration })
    else await migrator.rollback({ step, onMigration })
    await runMigrations(migrator, this.output)
  }
}

import { Command } from '../command.ts'
import { confirmToProceed, openMigrator, runMigrations } from './migrate.ts'

export default class MigrateFreshCommand extends Command {
  static override commandName = 'migrate:fresh'
  static override description = 'Drop all tables and re-run all migrations'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--step', description: 'Force the migrations to be run so they can be rolled back individually' },
  ]

  async handle() {
    confirmToProceed(this.app, this.input, 'migrate:fresh')
    const migrator = await openMigrator(this.app, this.input)
    const started = performance.now()
    await migrator.dropAllTables()
    this.output.line()
    this.output.twoColumn('Dropping all tables', `${this.output.style(`${(performance.now() - started).toFixed(2)}ms`, 'gray')} ${this.output.style('DONE', 'green', 'bold')}`)
    await runMigrations(migrator, this.output, { step: this.input.boolean('step') })
  }
}

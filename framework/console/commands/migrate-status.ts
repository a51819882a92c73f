import { Command } from '../command.ts'
import { openMigrator } from './migrate.ts'

export default class MigrateStatusCommand extends Command {
  static override commandName = 'migrate:status'
  static override description = 'Show the status of each migration'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--pending', description: 'Only list pending migrations (exit code 1 when there are any)' },
  ]

  async handle() {
    const migrator = await openMigrator(this.app, this.input)
    const status = await migrator.status()
    if (status === null) {
      this.output.error('Migration table not found.')
      return 1
    }
    const pendingOnly = this.input.boolean('pending')
    const rows = pendingOnly ? status.filter((row) => !row.ran) : status
    if (rows.length === 0) {
      this.output.info(pendingOnly ? 'No pending migrations.' : 'No migrations found.')
      return
    }
    this.output.line()
    this.output.twoColumn(this.output.style('Migration name', 'gray'), this.output.style('Batch / Status', 'gray'))
    for (const row of rows) {
      const state = row.ran ? `[${row.batch}] ${this.output.style('Ran', 'green', 'bold')}` : this.output.style('Pending', 'yellow', 'bold')
      this.output.twoColumn(row.migration, state)
    }
    this.output.line()
    return pendingOnly ? 1 : 0
  }
}

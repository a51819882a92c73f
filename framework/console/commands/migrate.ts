import { isAbsolute, join } from 'node:path'
import type { MigrationEvent, Migrator } from '../../database/migrator.ts'
import type { Application } from '../../foundation/application.ts'
import { Command } from '../command.ts'
import { CommandFailedError } from '../errors.ts'
import type { Input } from '../input.ts'
import type { Output } from '../output.ts'

export default class MigrateCommand extends Command {
  static override commandName = 'migrate'
  static override description = 'Run the database migrations'
  static override options = [
    { flags: '--database <connection>', description: 'The database connection to use' },
    { flags: '--force', description: 'Force the operation to run when in production' },
    { flags: '--path <path>', description: 'The path to the migrations folder (relative to the app root, or absolute)' },
    { flags: '--pretend', description: 'Dump the SQL queries that would be run' },
    { flags: '--step', description: 'Force the migrations to be run so they can be rolled back individually' },
  ]

  async handle() {
    confirmToProceed(this.app, this.input, 'migrate')
    const migrator = await openMigrator(this.app, this.input)
    await runMigrations(migrator, this.output, { step: this.input.boolean('step'), pretend: this.input.boolean('pretend') })
  }
}

/** Prepares the migrations table and runs pending migrations, printing artisan's lines. Shared with migrate:fresh. */
export async function runMigrations(migrator: Migrator, output: Output, options: { step?: boolean; pretend?: boolean } = {}): Promise<void> {
  if (!options.pretend && !(await migrator.repository.exists())) {
    output.info('Preparing database.')
    const started = performance.now()
    await migrator.prepare()
    output.twoColumn('Creating migration table', done(output, performance.now() - started))
  }
  let announced = false
  const ran = await migrator.run({
    ...options,
    onMigration: (event) => {
      if (!announced) output.info('Running migrations.')
      announced = true
      renderMigrationEvent(output, event)
    },
  })
  if (ran.length === 0) output.info('Nothing to migrate.')
  else output.line()
}

/** The migrator for `--database` (default DB_CONNECTION) and `--path` (default database/migrations). */
export function openMigrator(app: Application, input: Input): Promise<Migrator> {
  const path = input.string('path')
  const paths = path === undefined ? undefined : [isAbsolute(path) ? path : join(app.basePath, path)]
  return import('../../database/migrator.ts').then(({ Migrator }) => Migrator.forApp(app, { connection: input.string('database'), paths }))
}

/** `  2026_..._create_users_table ........ 12.31ms DONE`, or the SQL under the name with --pretend. */
export function renderMigrationEvent(output: Output, event: MigrationEvent): void {
  if (event.queries) {
    output.twoColumn(event.migration)
    for (const sql of event.queries) output.line(`  ${output.style('⇂', 'gray')} ${sql}`)
    return
  }
  if (event.status === 'missing') output.twoColumn(event.migration, output.style('Migration not found', 'yellow', 'bold'))
  else if (event.status === 'failed') output.twoColumn(event.migration, `${output.style(`${event.durationMs.toFixed(2)}ms`, 'gray')} ${output.style('FAIL', 'red', 'bold')}`)
  else output.twoColumn(event.migration, done(output, event.durationMs))
}

/**
 * Laravel's ConfirmableTrait without the prompt: in production a destructive command needs --force.
 * (A prompt would hang deploy scripts; artisan's non-interactive answer is "no" as well.)
 */
export function confirmToProceed(app: Application, input: Input, command: string): void {
  if (input.boolean('force')) return
  let environment = 'production'
  try {
    environment = app.config('app').env
  } catch {
    environment = process.env.APP_ENV ?? 'local'
  }
  if (environment === 'production') {
    throw new CommandFailedError(`The application is in production. Run \`craft ${command} --force\` to confirm that you want to change its database.`)
  }
}

function done(output: Output, ms: number): string {
  return `${output.style(`${ms.toFixed(2)}ms`, 'gray')} ${output.style('DONE', 'green', 'bold')}`
}

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureEnvFile } from '../../foundation/env-file.ts'
import { Command } from '../command.ts'
import { runProcessGroup, type ProcessSpec } from '../process-group.ts'

/**
 * `npm run dev`: the one command a new user runs. Creates .env (with a fresh APP_KEY) when missing,
 * creates the SQLite database and runs the migrations, then starts the HTTP server and a queue worker
 * side by side, like Laravel's `composer run dev`.
 */
/** The seed app's queues, highest priority first. */
const DEV_QUEUES = 'payments,emails,default,documents'

export default class DevCommand extends Command {
  static override commandName = 'dev'
  static override description = 'Set up the app on first run, then start the HTTP server and a queue worker'
  static override options = [
    { flags: '--no-worker', description: 'Start the HTTP server only' },
    { flags: '--port <port>', description: 'The port for the HTTP server' },
  ]

  async handle() {
    const setup = ensureEnvFile(this.app.basePath)
    if (setup.createdEnv) this.output.info('Created .env from .env.example.')
    if (setup.generatedKey) this.output.info('Generated a new APP_KEY in .env.')

    const craft = join(this.app.basePath, 'bin', 'craft')
    // Children start fresh, so they read the .env written above.
    const migrate = spawnSync(process.execPath, [craft, 'migrate', '--force'], { cwd: this.app.basePath, stdio: 'inherit', env: process.env })
    if (migrate.status !== 0) return migrate.status ?? 1

    const port = this.input.integer('port', 1)
    const serveArgs = [craft, 'serve', ...(port ? ['--port', String(port)] : [])]
    const processes: ProcessSpec[] = [{ name: 'server', color: 'blue', command: process.execPath, args: serveArgs }]
    if (this.input.option('worker') !== false) {
      processes.push({ name: 'queue', color: 'green', command: process.execPath, args: [craft, 'queue:work', `--queue=${DEV_QUEUES}`, '--tries=3'] })
    }
    return runProcessGroup(processes, this.output, this.app.basePath)
  }
}

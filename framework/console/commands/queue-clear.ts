import { createInterface } from 'node:readline/promises'
import { Command } from '../command.ts'
import { ConfirmationRequiredError } from '../../queue/failed/errors.ts'

export default class QueueClearCommand extends Command {
  static override commandName = 'queue:clear'
  static override description = 'Delete all of the jobs from the specified queue'
  static override arguments = [{ name: 'connection', description: 'The name of the queue connection to clear' }]
  static override options = [
    { flags: '--queue <names>', description: 'The name of the queue(s) to clear (comma-separated)' },
    { flags: '--force', description: 'Force the operation to run when in production' },
  ]

  async handle() {
    if (!(await this.confirmToProceed())) {
      this.output.warn('Command cancelled.')
      return 1
    }
    const manager = this.app.make('queue')
    const connection = this.input.argument('connection') ?? manager.defaultConnection
    const driver = await manager.connection(connection)
    const queues = this.input.list('queue') ?? [manager.defaultQueue(connection)]
    for (const queue of queues) {
      const count = await driver.clear(queue)
      this.output.info(`Cleared ${count} ${count === 1 ? 'job' : 'jobs'} from the [${queue}] queue`)
    }
  }

  /** Laravel's ConfirmableTrait: production asks first (or needs --force where nobody can answer). */
  private async confirmToProceed(): Promise<boolean> {
    if (this.input.boolean('force') || this.app.config('app').env !== 'production') return true
    if (!process.stdin.isTTY) throw new ConfirmationRequiredError('queue:clear')
    const prompt = createInterface({ input: process.stdin, output: process.stdout })
    try {
      const answer = await prompt.question('Application in production. Are you sure you want to run this command? (yes/no) [no]: ')
      return /^y(es)?$/i.test(answer.trim())
    } finally {
      prompt.close()
    }
  }
}

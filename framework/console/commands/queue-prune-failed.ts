import { Command } from '../command.ts'

export default class QueuePruneFailedCommand extends Command {
  static override commandName = 'queue:prune-failed'
  static override description = 'Prune stale entries from the failed jobs table'
  static override options = [{ flags: '--hours <hours>', description: 'The number of hours to retain failed jobs data', default: '24' }]

  async handle() {
    const count = await this.app.make('queue.failed').flush(this.input.integer('hours', 0))
    this.output.info(`${count} ${count === 1 ? 'entry' : 'entries'} deleted.`)
  }
}

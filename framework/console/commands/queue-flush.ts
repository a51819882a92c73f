import { Command } from '../command.ts'

export default class QueueFlushCommand extends Command {
  static override commandName = 'queue:flush'
  static override description = 'Flush all of the failed queue jobs'
  static override options = [{ flags: '--hours <hours>', description: 'The number of hours to retain failed job data' }]

  async handle() {
    const hours = this.input.integer('hours', 1)
    const count = await this.app.make('queue.failed').flush(hours)
    if (hours !== undefined) {
      this.output.info(`All jobs that failed more than ${hours} hours ago have been deleted successfully (${count}).`)
      return
    }
    this.output.info(`All failed jobs deleted successfully (${count}).`)
  }
}

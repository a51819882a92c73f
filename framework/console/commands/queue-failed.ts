import { Command } from '../command.ts'
import { summarizeFailedJob } from '../../queue/failed/failed-job-summary.ts'

export default class QueueFailedCommand extends Command {
  static override commandName = 'queue:failed'
  static override description = 'List all of the failed queue jobs'
  static override options = [{ flags: '--queue <name>', description: 'Only the failed jobs of this queue' }]

  async handle() {
    const queue = this.input.string('queue')
    const records = await this.app.make('queue.failed').all(queue === undefined ? {} : { queue })
    if (records.length === 0) {
      this.output.info('No failed jobs found.')
      return
    }
    const rows = records.map(summarizeFailedJob).map((s) => [s.id, s.uuid, s.connection, s.queue, s.job, s.failedAt, s.exception])
    this.output.table(['ID', 'UUID', 'Connection', 'Queue', 'Job', 'Failed At', 'Exception'], rows)
  }
}

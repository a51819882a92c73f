import { Command } from '../command.ts'
import { FailedJobNotFoundError } from '../../queue/failed/errors.ts'

export default class QueueForgetCommand extends Command {
  static override commandName = 'queue:forget'
  static override description = 'Delete a failed queue job'
  static override arguments = [{ name: 'id', description: 'The ID or UUID of the failed job', required: true }]

  async handle() {
    const id = this.input.argument('id') ?? ''
    if (!(await this.app.make('queue.failed').forget(id))) throw new FailedJobNotFoundError(id)
    this.output.info('Failed job deleted successfully.')
  }
}

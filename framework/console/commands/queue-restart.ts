import { Command } from '../command.ts'
import { requestRestart } from '../../queue/worker/restart-signal.ts'

export default class QueueRestartCommand extends Command {
  static override commandName = 'queue:restart'
  static override description = 'Restart queue worker daemons after their current job'

  async handle() {
    const { store, shared } = await requestRestart(this.app)
    if (!shared) this.output.warn(`The "${store}" cache store lives in this process only, so no worker will see the signal. Set CACHE_STORE to database or redis.`)
    this.output.info('Broadcasting queue restart signal.')
  }
}

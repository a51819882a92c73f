import { Command } from '../command.ts'
import { InvalidInputError } from '../errors.ts'

export default class QueueMonitorCommand extends Command {
  static override commandName = 'queue:monitor'
  static override description = 'Monitor the size of the specified queues'
  static override arguments = [{ name: 'queues', description: 'The queues to monitor: connection:queue,... (the default connection when omitted)', required: true }]
  static override options = [{ flags: '--max <count>', description: 'The number of jobs at which a queue is flagged', default: '1000' }]

  async handle() {
    const max = this.input.integer('max', 0) ?? 1000
    const manager = this.app.make('queue')
    const targets = (this.input.argument('queues') ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => {
        const [connection, queue] = item.includes(':') ? [item.slice(0, item.indexOf(':')), item.slice(item.indexOf(':') + 1)] : [manager.defaultConnection, item]
        if (!connection || !queue) throw new InvalidInputError(`"${item}" is not a queue to monitor: write connection:queue or queue.`)
        return { connection, queue }
      })
    if (targets.length === 0) throw new InvalidInputError('Name the queues to monitor, e.g. `craft queue:monitor database:default,redis:emails`.')
    // Resolve every connection before printing, so an unknown name fails with the configured list.
    const sized = await Promise.all(targets.map(async (t) => ({ ...t, size: await (await manager.connection(t.connection)).size(t.queue) })))

    this.output.line()
    this.output.twoColumn(this.output.style('Queue name', 'gray'), this.output.style('Size / Status', 'gray'))
    for (const { connection, queue, size } of sized) {
      const status = size >= max ? this.output.style('ALERT', 'yellow', 'bold') : this.output.style('OK', 'green', 'bold')
      this.output.twoColumn(`[${connection}] ${queue}`, `${size} / ${status}`)
    }
    this.output.line()
  }
}

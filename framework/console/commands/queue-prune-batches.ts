import { Command } from '../command.ts'

export default class QueuePruneBatchesCommand extends Command {
  static override commandName = 'queue:prune-batches'
  static override description = 'Prune stale entries from the batches database'
  static override options = [
    { flags: '--hours <hours>', description: 'The number of hours to retain batch data', default: '24' },
    { flags: '--unfinished <hours>', description: 'The number of hours to retain unfinished batch data' },
    { flags: '--cancelled <hours>', description: 'The number of hours to retain cancelled batch data' },
  ]

  async handle() {
    const batches = this.app.make('bus.batches')
    const hours = this.input.integer('hours') ?? 24
    const unfinished = this.input.integer('unfinished')
    const cancelled = this.input.integer('cancelled')
    const count = await batches.prune(hoursAgo(hours))
    this.output.info(`${count} ${entries(count)} deleted.`)
    if (unfinished !== undefined) {
      const pruned = await batches.pruneUnfinished(hoursAgo(unfinished))
      this.output.info(`${pruned} unfinished ${entries(pruned)} deleted.`)
    }
    if (cancelled !== undefined) {
      const pruned = await batches.pruneCancelled(hoursAgo(cancelled))
      this.output.info(`${pruned} cancelled ${entries(pruned)} deleted.`)
    }
  }
}

function hoursAgo(hours: number): Date {
  return new Date(Date.now() - hours * 3600 * 1000)
}

function entries(count: number): string {
  return count === 1 ? 'entry' : 'entries'
}

import { Command } from '../command.ts'
import { InvalidInputError } from '../errors.ts'
import { retryFailedJob, selectFailedJobIds } from '../../queue/failed/retry-failed-jobs.ts'

export default class QueueRetryCommand extends Command {
  static override commandName = 'queue:retry'
  static override description = 'Retry a failed queue job'
  static override arguments = [{ name: 'id', description: 'The ID or UUID of the failed job, or "all"', variadic: true }]
  static override options = [
    { flags: '--queue <name>', description: 'Retry all of the failed jobs for the specified queue' },
    { flags: '--range <ranges>', description: 'Range of job IDs (numeric) to be retried (1-5, or 1-5,9-12)' },
  ]

  async handle() {
    const given = this.input.arguments('id')
    const queue = this.input.string('queue')
    const ranges = (this.input.list('range') ?? []).map(parseRange)
    if (given.length === 0 && queue === undefined && ranges.length === 0) {
      throw new InvalidInputError('Name the failed jobs to retry: an ID or UUID, "all", --queue=<name> or --range=1-5.')
    }
    const store = this.app.make('queue.failed')
    const ids = await selectFailedJobIds(store, { ids: given.filter((id) => id !== 'all'), all: given.includes('all'), ranges, ...(queue === undefined ? {} : { queue }) })
    if (ids.length === 0) {
      this.output.info('No failed jobs to retry.')
      return
    }
    // Jobs listed by `all`/--queue may be retried meanwhile by another process: skip those quietly.
    const named = new Set([...given, ...ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i)))])
    this.output.info('Pushing failed queue jobs back onto the queue.')
    let missing = 0
    for (const id of ids) {
      const started = performance.now()
      const outcome = await retryFailedJob(this.app, store, id)
      if (outcome === 'missing') {
        if (named.has(id)) {
          missing++
          this.output.error(`Unable to find failed job with ID [${id}].`)
        }
        continue
      }
      this.output.twoColumn(id, `${(performance.now() - started).toFixed(2)}ms ${this.output.style('DONE', 'green', 'bold')}`)
    }
    this.output.line()
    return missing > 0 ? 1 : 0
  }
}

function parseRange(range: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(range)
  if (!match || Number(match[1]) > Number(match[2])) {
    throw new InvalidInputError(`The --range option takes ranges of IDs such as 1-5 (or 1-5,9-12), got "${range}".`)
  }
  return [Number(match[1]), Number(match[2])]
}

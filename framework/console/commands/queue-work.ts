import { Command } from '../command.ts'
import { InvalidInputError } from '../errors.ts'
import type { Output } from '../output.ts'
import type { EventDispatcher } from '../../events/dispatcher.ts'
import type { JobPayload, ReservedJob } from '../../queue/contracts.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing, JobReleasedAfterException } from '../../queue/events.ts'
import { workerOptions, type WorkerOptions } from '../../queue/worker/options.ts'
import type { Logger } from '../../logging/logger.ts'
import { describeError, isKilnError } from '../../support/errors.ts'

/** Time a worker that abandoned a stuck job gets to shut down before it exits anyway. */
const FORCED_EXIT_MS = 2000

export default class QueueWorkCommand extends Command {
  static override commandName = 'queue:work'
  static override description = 'Start processing jobs on the queue as a daemon'
  static override arguments = [{ name: 'connection', description: 'The name of the queue connection to work' }]
  static override options = [
    { flags: '--name <name>', description: 'The name of the worker', default: 'default' },
    { flags: '--queue <queues>', description: 'The queues to work, in priority order (high,default)' },
    { flags: '--once', description: 'Only process the next job on the queue' },
    { flags: '--stop-when-empty', description: 'Stop when the queue is empty' },
    { flags: '--backoff <seconds>', description: 'Seconds to wait before retrying a job that threw (3,5,10 per attempt)', default: '0' },
    { flags: '--max-jobs <count>', description: 'The number of jobs to process before stopping', default: '0' },
    { flags: '--max-time <seconds>', description: 'The maximum number of seconds the worker should run', default: '0' },
    { flags: '--force', description: 'Force the worker to run even in maintenance mode' },
    { flags: '--memory <megabytes>', description: 'The memory limit in megabytes', default: '128' },
    { flags: '--sleep <seconds>', description: 'Seconds to sleep when no job is available', default: '3' },
    { flags: '--rest <seconds>', description: 'Seconds to rest between jobs', default: '0' },
    { flags: '--timeout <seconds>', description: 'The number of seconds a child process can run', default: '60' },
    { flags: '--tries <count>', description: 'Number of times to attempt a job before logging it failed', default: '1' },
    { flags: '--concurrency <count>', description: 'Jobs in flight at once in this process', default: '1' },
    { flags: '--prefetch <count>', description: 'Jobs to reserve ahead of the free slots, claimed and acknowledged in batches (0 = off; default: the connection\'s prefetch)' },
  ]

  async handle() {
    const options = this.parseOptions()
    const manager = this.app.make('queue')
    const connection = this.input.argument('connection') ?? manager.defaultConnection
    manager.connectionConfig(connection) // unknown -> E_UNKNOWN_QUEUE_CONNECTION listing the configured ones
    if (options.queues.length === 0) options.queues = [manager.defaultQueue(connection)]

    // Imported here: the worker pulls in the whole job pipeline, which `craft list` must not load.
    const { Worker } = await import('../../queue/worker/worker.ts')
    const worker = new Worker(this.app, connection, options, {
      onError: (error) => this.output.error(describeError(error)),
      onWarning: (message) => this.output.warn(message),
    })
    worker.validate()
    this.output.info(`Processing jobs from the [${options.queues.join(',')}] queue${options.queues.length > 1 ? 's' : ''}.`)
    const stopListening = renderWorkerEvents(this.app.make('events'), this.output, () => this.app.make('log'))
    try {
      const stop = await worker.daemon()
      if (stop.code !== 0) {
        this.output.error(`The worker stopped: ${stop.reason}.`)
        // A handler that ignored its timeout may hold the event loop open (timers, sockets): exit anyway.
        setTimeout(() => process.exit(stop.code), FORCED_EXIT_MS).unref()
      }
      return stop.code
    } finally {
      stopListening()
    }
  }

  private parseOptions(): WorkerOptions {
    return workerOptions({
      name: this.input.string('name'),
      queues: this.input.list('queue') ?? [],
      once: this.input.boolean('once'),
      stopWhenEmpty: this.input.boolean('stop-when-empty'),
      backoff: this.backoff(),
      maxJobs: this.input.integer('max-jobs'),
      maxTime: this.input.integer('max-time'),
      force: this.input.boolean('force'),
      memory: this.input.integer('memory', 1),
      sleep: this.input.number('sleep'),
      rest: this.input.number('rest'),
      timeout: this.input.integer('timeout'),
      tries: this.input.integer('tries'),
      concurrency: this.input.integer('concurrency', 1),
      prefetch: this.input.integer('prefetch') ?? null,
    })
  }

  /** `--backoff=3,5,10`: whole seconds, one per retry. */
  private backoff(): number[] | undefined {
    const raw = this.input.string('backoff')
    if (raw === undefined) return undefined
    const values = raw.split(',').map((value) => value.trim())
    if (values.some((value) => !/^\d+$/.test(value))) {
      throw new InvalidInputError(`The --backoff option must be whole seconds separated by commas (for example 3,5,10), got "${raw}".`)
    }
    return values.map(Number)
  }
}

/** Prints a line per job like artisan: `  2026-11-23 18:00:00 SendWelcomeEmail ...... RUNNING`, then DONE or FAIL. */
function renderWorkerEvents(events: EventDispatcher, output: Output, log: () => Logger): () => void {
  const started = new Map<string, number>()
  // The error of an attempt that will be retried, shown under its FAIL line (JobReleasedAfterException carries none).
  const errors = new Map<string, Error>()
  const key = (job: ReservedJob) => `${job.connectionName}:${job.id}:${job.reservationToken}`
  const name = (payload: JobPayload | null) => payload?.displayName || payload?.job || 'Unreadable job'
  const finish = (job: ReservedJob, payload: JobPayload | null, status: string) => {
    const start = started.get(key(job))
    started.delete(key(job))
    const took = start === undefined ? '' : `${formatRunTime(performance.now() - start)} `
    output.twoColumn(`${timestamp()} ${name(payload)}`, `${output.style(took, 'gray')}${status}`)
  }
  const unsubscribe = [
    events.listen(JobProcessing, (event) => {
      started.set(key(event.job), performance.now())
      output.twoColumn(`${timestamp()} ${name(event.payload)}`, output.style('RUNNING', 'yellow', 'bold'))
    }),
    events.listen(JobProcessed, (event) => finish(event.job, event.payload, output.style('DONE', 'green', 'bold'))),
    events.listen(JobExceptionOccurred, (event) => {
      errors.set(key(event.job), event.error)
      // Laravel reports every exception; the message and code are enough here, the stack stays in failed_jobs.
      log().warn({ job: name(event.payload), id: event.job.id, attempts: event.job.attempts, code: isKilnError(event.error) ? event.error.code : undefined }, describeError(event.error))
    }),
    events.listen(JobReleasedAfterException, (event) => {
      const error = errors.get(key(event.job))
      errors.delete(key(event.job))
      finish(event.job, event.payload, output.style('FAIL', 'red', 'bold'))
      if (error) output.line(output.style(`  ${describeError(error)} (retrying in ${event.delay}s)`, 'gray'))
    }),
    events.listen(JobFailed, (event) => {
      errors.delete(key(event.job))
      finish(event.job, event.payload, output.style('FAIL', 'red', 'bold'))
      output.line(output.style(`  ${describeError(event.error)}`, 'gray'))
    }),
  ]
  return () => unsubscribe.forEach((off) => off())
}

function timestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

function formatRunTime(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(2)}ms` : `${(ms / 1000).toFixed(2)}s`
}

import { KilnError } from '../support/errors.ts'

/** A connection name that config/queue.ts does not define. */
export class UnknownQueueConnectionError extends KilnError {
  constructor(name: string, configured: string[]) {
    super(
      'E_UNKNOWN_QUEUE_CONNECTION',
      `Queue connection "${name}" is not configured. Configured connections: ${configured.join(', ') || '(none)'} (config/queue.ts).`,
    )
  }
}

/** A job property that cannot cross to a worker process; raised at dispatch, never on the worker. */
export class UnserializableJobDataError extends KilnError {
  readonly path: string

  constructor(jobName: string, path: string, reason: string) {
    super(
      'E_UNSERIALIZABLE_JOB_DATA',
      `Cannot queue ${jobName}: property "${path}" ${reason}. Job properties must be plain data (strings, numbers, booleans, null, arrays, plain objects, Dates); pass an id and load the rest in handle().`,
    )
    this.path = path
  }
}

/** A stored payload that is not a Kiln job payload (garbage row, truncated write, foreign producer). */
export class MalformedPayloadError extends KilnError {
  constructor(defect: string) {
    super('E_MALFORMED_PAYLOAD', `The job payload is malformed: ${defect}. The job cannot run; inspect it with queue:failed.`)
  }
}

/** A payload naming a job the registry does not know. Payloads never name module paths. */
export class UnknownJobError extends KilnError {
  readonly jobName: string

  constructor(name: string, known: string[]) {
    const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name
    super(
      'E_UNKNOWN_JOB',
      `No job named "${shown}" is registered. Known jobs: ${known.join(', ') || '(none)'}. Put the job class in app/Jobs (exported) or register it with app.make('jobs').register().`,
    )
    this.jobName = name
  }
}

/** Two different classes claim the same job name. */
export class DuplicateJobNameError extends KilnError {
  constructor(name: string) {
    super('E_DUPLICATE_JOB_NAME', `Two different job classes are named "${name}". Rename one, or give one a distinct \`static jobName\`.`)
  }
}

/** A job file in app/Jobs that cannot be imported. */
export class InvalidJobFileError extends KilnError {
  constructor(file: string, cause: unknown) {
    super('E_INVALID_JOB_FILE', `The job file ${file} cannot be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/** `this.job` read outside a run (the job was not handed to the worker pipeline). */
export class JobNotRunningError extends KilnError {
  constructor(jobName: string) {
    super('E_JOB_NOT_RUNNING', `${jobName} is not running on a queue, so it has no this.job. Read this.job only inside handle() of a dispatched job.`)
  }
}

/** A connection in config/queue.ts whose `driver` Kiln has no connector for. */
export class UnknownQueueDriverError extends KilnError {
  constructor(connection: string, driver: string) {
    super('E_UNKNOWN_QUEUE_DRIVER', `Queue connection "${connection}" uses driver "${driver}", which does not exist. Use one of: sync, database, redis, null (config/queue.ts).`)
  }
}

/** The sync driver runs jobs at once through the worker's own pipeline, like Laravel's SyncQueue. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { JobExceptionOccurred, JobFailed, JobProcessed, JobProcessing } from '../../framework/queue/events.ts'
import { Job, QueuedJob, type JobMiddleware } from '../../framework/queue/job.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const log: string[] = []

class Greets extends QueuedJob {
  constructor(public name: string) {
    super()
  }
  override middleware(): JobMiddleware[] {
    return [{ handle: async (_job, next) => (log.push('middleware'), await next()) }]
  }
  handle() {
    log.push(`hello ${this.name} (attempt ${this.attempts()}, id ${typeof this.job.id})`)
  }
}

class Explodes extends QueuedJob {
  override tries = 3
  handle(): void {
    log.push('explodes')
    throw new Error('kaboom')
  }
  override failed(error: Error) {
    log.push(`failed: ${error.message}`)
  }
}

class Releases extends QueuedJob {
  handle() {
    log.push('releases')
    this.release(10)
  }
}

/** Not queued: runs at once even on a queued connection. */
class Plain extends Job {
  handle() {
    log.push('plain')
  }
}

describe('the sync queue driver', () => {
  let temp: TempApp
  let app: Application
  const events: string[] = []

  beforeAll(async () => {
    temp = makeTempApp()
    app = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { queue: { default: 'sync', failed: { driver: 'null', table: 'failed_jobs' } }, cache: { default: 'memory' } } })
    for (const cls of [JobProcessing, JobProcessed, JobExceptionOccurred, JobFailed]) app.make('events').listen(cls, () => void events.push(cls.name))
  })
  afterAll(async () => {
    await app?.shutdown()
    temp?.cleanup()
  })
  beforeEach(() => {
    log.length = 0
    events.length = 0
  })

  it('runs a dispatched job immediately through middleware, with a job context, and returns its id', async () => {
    const id = await Greets.dispatch('Ada')
    expect(typeof id).toBe('string')
    expect(log).toEqual(['middleware', 'hello Ada (attempt 1, id string)'])
    expect(events).toEqual(['JobProcessing', 'JobProcessed'])
  })

  it("propagates the job's error to the dispatcher after running failed() once, trying only once", async () => {
    await expect(Explodes.dispatch()).rejects.toThrow('kaboom')
    expect(log).toEqual(['explodes', 'failed: kaboom'])
    expect(events).toEqual(['JobProcessing', 'JobExceptionOccurred', 'JobFailed'])
  })

  it('does not run a released job again', async () => {
    await Releases.dispatch()
    expect(log).toEqual(['releases'])
  })

  it('runs a job without the queue marker at once', async () => {
    await Plain.dispatch()
    expect(log).toEqual(['plain'])
  })

  it('rejects a raw payload naming an unknown job with E_UNKNOWN_JOB', async () => {
    const sync = await app.make('queue').connection('sync')
    const payload = JSON.stringify({ uuid: '00000000-0000-4000-8000-000000000000', job: 'Nope', displayName: 'Nope', data: {}, maxTries: null, maxExceptions: null, backoff: null, timeout: null, retryUntil: null, failOnTimeout: false, pushedAt: 0 })
    await expect(sync.pushRaw(payload)).rejects.toMatchObject({ code: 'E_UNKNOWN_JOB' })
    await expect(sync.pushRaw('garbage')).rejects.toMatchObject({ code: 'E_MALFORMED_PAYLOAD' })
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dispatch, dispatchSync } from '../../framework/bus/dispatch.ts'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueConnectionConfig } from '../../framework/queue/config.ts'
import type { PushOptions, QueueDriver } from '../../framework/queue/contracts.ts'
import { JobQueued } from '../../framework/queue/events.ts'
import { Job, QueuedJob } from '../../framework/queue/job.ts'
import { decodePayload } from '../../framework/queue/payload-codec.ts'
import { Queue } from '../../framework/queue/queue-facade.ts'
import { QueueManager } from '../../framework/queue/queue-manager.ts'
import { repoRoot } from '../support/craft.ts'

/** A tiny in-memory driver: what was pushed, where, with which options. */
interface Stored {
  id: string
  connection: string
  queue: string | undefined
  payload: string
  options: PushOptions | undefined
}
const stored: Stored[] = []

function memoryDriver(connection: string): QueueDriver {
  let closed = false
  const push = (payload: string, queue?: string, options?: PushOptions) => {
    if (closed) throw new Error(`connection ${connection} is closed`)
    const id = `${connection}-${stored.length + 1}`
    stored.push({ id, connection, queue, payload, options })
    return id
  }
  return {
    connectionName: connection,
    pushRaw: async (payload, queue, options) => push(payload, queue, options),
    bulkRaw: async (payloads, queue, options) => payloads.map((p) => push(p, queue, options)),
    pop: async () => [],
    size: async (queue) => stored.filter((s) => s.connection === connection && s.queue === queue).length,
    clear: async () => 0,
    close: async () => {
      closed = true
    },
  }
}

class MemoryQueueManager extends QueueManager {
  protected override async open(name: string, config: QueueConnectionConfig): Promise<QueueDriver> {
    return config.driver === 'null' || config.driver === 'sync' ? super.open(name, config) : memoryDriver(name)
  }
}

const ran: string[] = []

class SendWelcomeMail extends QueuedJob {
  constructor(
    public userId: number,
    public email: string,
  ) {
    super()
  }

  handle() {
    ran.push(`welcome:${this.userId}`)
  }
}

class OnHighQueue extends QueuedJob {
  override queue = 'high'
  override connection = 'second'
  override delay = 30
  handle() {}
}

class RecordNow extends Job {
  constructor(public label: string) {
    super()
  }

  handle() {
    ran.push(`now:${this.label}:attempt${this.attempts()}:${typeof this.job.id}`)
  }
}

class Exploding extends Job {
  override failed(error: Error) {
    ran.push(`failed:${error.message}`)
  }

  handle() {
    throw new Error('kaboom')
  }
}

let constructed = 0
class Counted extends QueuedJob {
  constructor() {
    super()
    constructed++
  }

  handle() {}
}

let app: Application

beforeAll(async () => {
  app = await Application.create({
    basePath: repoRoot,
    loadEnv: false,
    config: {
      queue: {
        default: 'main',
        connections: {
          main: { driver: 'database', table: 'jobs', queue: 'default', retry_after: 90 },
          second: { driver: 'database', table: 'jobs', queue: 'other-default', retry_after: 90 },
          off: { driver: 'null' },
          sync: { driver: 'sync' },
        },
      },
    },
  })
  app.instance('queue', new MemoryQueueManager(app.config('queue'), app))
})

afterAll(() => app.shutdown())

beforeEach(() => {
  stored.length = 0
  ran.length = 0
})

const last = () => {
  const entry = stored.at(-1)
  if (!entry) throw new Error('nothing was pushed')
  return { ...entry, decoded: decodePayload(entry.payload) }
}

describe('dispatching a QueuedJob', () => {
  it('stores it on the default connection and queue, yields the driver id, and does not run it', async () => {
    const id = await SendWelcomeMail.dispatch(7, 'a@example.com')
    const pushed = last()
    expect(id).toBe(pushed.id)
    expect(pushed).toMatchObject({ connection: 'main', queue: 'default' })
    expect(pushed.decoded).toMatchObject({ job: 'SendWelcomeMail', data: { userId: 7, email: 'a@example.com' } })
    expect(ran).toEqual([])
  })

  it('opens the connection again after the queue manager closed it, instead of pushing to the closed one', async () => {
    await SendWelcomeMail.dispatch(1, 'before@example.com')
    await app.make('queue').close()
    const id = await SendWelcomeMail.dispatch(2, 'after@example.com')
    expect(last()).toMatchObject({ id, connection: 'main', decoded: { data: { email: 'after@example.com' } } })
  })

  it('honours onConnection, onQueue and delay (seconds or Date)', async () => {
    await SendWelcomeMail.dispatch(1, 'x').onConnection('second').onQueue('emails').delay(15)
    expect(last()).toMatchObject({ connection: 'second', queue: 'emails', options: { delay: 15 } })

    await SendWelcomeMail.dispatch(1, 'x').delay(new Date(Date.now() + 120_000))
    const delay = last().options?.delay ?? 0
    expect(delay).toBeGreaterThan(110)
    expect(delay).toBeLessThanOrEqual(120)
  })

  it("uses the job's own queue, connection and delay, which dispatch options override", async () => {
    await OnHighQueue.dispatch()
    expect(last()).toMatchObject({ connection: 'second', queue: 'high', options: { delay: 30 } })
    await OnHighQueue.dispatch().onConnection('main').onQueue('low').delay(0)
    expect(last()).toMatchObject({ connection: 'main', queue: 'low' })
    expect(last().options?.delay).toBeUndefined()
  })

  it("falls back to the connection's configured queue", async () => {
    await SendWelcomeMail.dispatch(1, 'x').onConnection('second')
    expect(last().queue).toBe('other-default')
  })

  it('dispatches even when the result is never awaited', async () => {
    void SendWelcomeMail.dispatch(9, 'later').onQueue('fire-and-forget')
    expect(stored).toHaveLength(0)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(last()).toMatchObject({ queue: 'fire-and-forget' })
    expect(stored).toHaveLength(1)
  })

  it('refuses an unknown connection, listing the configured ones', async () => {
    await expect(SendWelcomeMail.dispatch(1, 'x').onConnection('nope')).rejects.toMatchObject({
      code: 'E_UNKNOWN_QUEUE_CONNECTION',
      message: expect.stringMatching(/"nope".*main, second, off/),
    })
  })

  it('refuses unserializable data at dispatch time and stores nothing', async () => {
    await expect(SendWelcomeMail.dispatch(1, (() => 'x') as unknown as string)).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_JOB_DATA', path: 'email' })
    expect(stored).toHaveLength(0)
  })

  it('yields an id on the null connection and stores nothing', async () => {
    const id = await SendWelcomeMail.dispatch(1, 'x').onConnection('off')
    expect(typeof id).toBe('string')
    expect(stored).toHaveLength(0)
  })

  it('fires JobQueued with the connection, queue, id and payload', async () => {
    const seen: JobQueued[] = []
    const stop = app.make('events').listen(JobQueued, (event) => void seen.push(event))
    const id = await SendWelcomeMail.dispatch(3, 'e').onQueue('emails')
    stop()
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ connectionName: 'main', queue: 'emails', id, payload: { job: 'SendWelcomeMail', data: { userId: 3 } } })
    expect(seen[0]?.job).toBeInstanceOf(SendWelcomeMail)
  })
})

describe('dispatch(job) and dispatchSync(job)', () => {
  it('dispatch(job) queues an instance with the same options; dispatchSync(job) runs it now', async () => {
    const id = await dispatch(new SendWelcomeMail(21, 'h@example.com')).onQueue('helpers')
    expect(last()).toMatchObject({ id, queue: 'helpers' })
    await dispatchSync(new SendWelcomeMail(22, 'h@example.com'))
    expect(ran).toEqual(['welcome:22'])
    await dispatch(new RecordNow('helper'))
    expect(ran).toEqual(['welcome:22', 'now:helper:attempt1:string'])
    expect(stored).toHaveLength(1)
  })

  it('types dispatch() arguments from the constructor', () => {
    // Compile-time checks only (tsc runs over the tests); never called.
    const typed = () => {
      // @ts-expect-error userId must be a number
      void SendWelcomeMail.dispatch('7', 'a@example.com')
      // @ts-expect-error email is missing
      void SendWelcomeMail.dispatchSync(7)
      // @ts-expect-error the condition comes first
      void SendWelcomeMail.dispatchIf(7, 'a', true)
    }
    expect(typeof typed).toBe('function')
  })
})

describe('jobs that run now', () => {
  it('runs a plain Job at once, through the worker pipeline (this.job is bound), and stores nothing', async () => {
    const id = await RecordNow.dispatch('a')
    expect(ran).toEqual(['now:a:attempt1:string'])
    expect(typeof id).toBe('string')
    expect(stored).toHaveLength(0)
  })

  it('runs a QueuedJob now with dispatchSync', async () => {
    await SendWelcomeMail.dispatchSync(5, 'sync@example.com')
    expect(ran).toEqual(['welcome:5'])
    expect(stored).toHaveLength(0)
  })

  it("throws a synchronous job's error to the dispatcher after its failed() hook ran", async () => {
    await expect(Exploding.dispatch()).rejects.toThrow('kaboom')
    expect(ran).toEqual(['failed:kaboom'])
  })

  it('runs QueuedJobs sent to a sync connection at once', async () => {
    await SendWelcomeMail.dispatch(11, 'x').onConnection('sync')
    expect(ran).toEqual(['welcome:11'])
  })
})

describe('conditional dispatch', () => {
  it('dispatchIf / dispatchUnless dispatch on the right condition and do not even build the job otherwise', async () => {
    constructed = 0
    expect(await Counted.dispatchIf(false)).toBeNull()
    expect(await Counted.dispatchUnless(true)).toBeNull()
    expect(await Counted.dispatchIf(() => false)).toBeNull()
    expect(constructed).toBe(0)
    expect(stored).toHaveLength(0)
    expect(await Counted.dispatchIf(true)).toBe(last().id)
    expect(await Counted.dispatchUnless(() => false)).toBe(last().id)
    expect(constructed).toBe(2)
    expect(stored).toHaveLength(2)
  })
})

describe('the Queue facade', () => {
  it('push / later / bulk / pushRaw / size, on the default or a named connection', async () => {
    const a = await Queue.push(new SendWelcomeMail(1, 'a'))
    expect(last()).toMatchObject({ id: a, connection: 'main', queue: 'default' })
    await Queue.later(45, new SendWelcomeMail(2, 'b'), 'slow')
    expect(last()).toMatchObject({ queue: 'slow', options: { delay: 45 } })
    const ids = await Queue.connection('second').bulk([new SendWelcomeMail(3, 'c'), new SendWelcomeMail(4, 'd')], 'batch')
    expect(ids).toEqual(stored.slice(-2).map((s) => s.id))
    expect(stored.slice(-2).every((s) => s.connection === 'second' && s.queue === 'batch')).toBe(true)
    const raw = JSON.stringify({ uuid: 'u', job: 'SendWelcomeMail', data: {} })
    await Queue.pushRaw(raw, 'raw')
    expect(last()).toMatchObject({ payload: raw, queue: 'raw' })
    expect(await Queue.connection('second').size('batch')).toBe(2)
    expect(await Queue.size('slow')).toBe(1)
  })

  it('bulk refuses the whole batch when one job cannot be serialized', async () => {
    const bad = new SendWelcomeMail(1, 'x') as SendWelcomeMail & { socket?: unknown }
    bad.socket = new (class Socket {})()
    await expect(Queue.bulk([new SendWelcomeMail(1, 'ok'), bad])).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_JOB_DATA', path: 'socket' })
    expect(stored).toHaveLength(0)
  })
})

describe('the job runtime API outside a run', () => {
  it('attempts() is 1, release/delete are no-ops, this.job explains itself, fail() throws', () => {
    const job = new RecordNow('x')
    expect(job.attempts()).toBe(1)
    job.release(5)
    job.delete()
    expect(() => job.job).toThrow(expect.objectContaining({ code: 'E_JOB_NOT_RUNNING' }))
    expect(() => job.fail(new Error('nope'))).toThrow('nope')
  })
})

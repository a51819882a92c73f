/**
 * `Queue.fake()`: swaps the `queue` service for a fake whose connections record pushes instead of
 * storing or running them, with Laravel's assertions. Plain (non-queued) jobs still run, as in Laravel:
 * they never go through the `queue` service.
 *
 *   const queue = Queue.fake()
 *   await SendWelcomeEmail.dispatch(1).onQueue('emails')
 *   queue.assertPushedOn('emails', SendWelcomeEmail)
 *   queue.restore()
 */
import { AssertionError } from 'node:assert'
import { randomUUID } from 'node:crypto'
import type { Application } from '../foundation/application.ts'
import type { JobPayload, PushOptions, QueueDriver } from '../queue/contracts.ts'
import { jobNameOf, type Job, type JobClass } from '../queue/job.ts'
import { decodePayload, hydrateJobClass } from '../queue/payload-codec.ts'
import { QueueManager } from '../queue/queue-manager.ts'

/** One recorded push. */
export interface PushedJob {
  id: string
  connection: string
  queue: string
  payload: JobPayload
  raw: string
  /** Seconds, as passed to the driver. */
  delay: number
  /** The transaction the push was made inside (dispatch(...).withTransaction(trx) without afterCommit). */
  transaction: unknown
}

export type PushedPredicate<T extends Job> = (job: T, pushed: PushedJob) => boolean

/** Installs a QueueFake as the app's `queue` service and returns it. */
export function fakeQueue(app: Application): QueueFake {
  const original = app.make('queue')
  const fake = new QueueFake(app, () => app.instance('queue', original, (queue) => queue.close()))
  // Never restored: shutting the app down still closes whatever the real queue had opened.
  app.instance('queue', fake, () => original.close())
  return fake
}

export class QueueFake extends QueueManager {
  private readonly records: PushedJob[] = []
  private readonly drivers = new Map<string, QueueDriver>()

  constructor(
    app: Application,
    private readonly restorer: () => void = () => undefined,
  ) {
    super(app.config('queue'), app)
  }

  /** Puts the real queue back. */
  restore(): void {
    this.restorer()
  }

  override connection(name = this.defaultConnection): Promise<QueueDriver> {
    this.connectionConfig(name) // unknown names fail as they would for real
    let driver = this.drivers.get(name)
    if (!driver) {
      driver = this.recordingDriver(name)
      this.drivers.set(name, driver)
    }
    return Promise.resolve(driver)
  }

  override async close(): Promise<void> {}

  /** Every recorded push, in order. */
  all(): PushedJob[] {
    return [...this.records]
  }

  /** The pushed jobs of `cls` (rebuilt from their payloads, as a worker would see them) matching `predicate`. */
  pushed<T extends Job>(cls: JobClass<T>, predicate?: PushedPredicate<T>): T[] {
    return this.matching(cls, predicate).map(({ job }) => job)
  }

  /** Pushed at least once; exactly `n` times; or at least once matching `predicate`. */
  assertPushed<T extends Job>(cls: JobClass<T>, expected?: number | PushedPredicate<T>): void {
    const name = jobNameOf(cls)
    if (typeof expected === 'number') {
      const count = this.matching(cls).length
      if (count !== expected) fail(`Expected [${name}] to be pushed ${expected} time(s), but it was pushed ${count} time(s).`)
      return
    }
    if (this.matching(cls, expected).length === 0) fail(`Expected [${name}] to be pushed${expected ? ' matching the given predicate' : ''}, but it was not.${this.summary()}`)
  }

  /** Pushed on `queue` at least once (matching `predicate` when given). */
  assertPushedOn<T extends Job>(queue: string, cls: JobClass<T>, predicate?: PushedPredicate<T>): void {
    const onQueue = this.matching(cls, predicate).filter(({ pushed }) => pushed.queue === queue)
    if (onQueue.length === 0) fail(`Expected [${jobNameOf(cls)}] to be pushed on queue [${queue}], but it was not.${this.summary()}`)
  }

  assertNotPushed<T extends Job>(cls: JobClass<T>, predicate?: PushedPredicate<T>): void {
    const count = this.matching(cls, predicate).length
    if (count > 0) fail(`Expected [${jobNameOf(cls)}] not to be pushed${predicate ? ' matching the given predicate' : ''}, but it was pushed ${count} time(s).`)
  }

  assertNothingPushed(): void {
    if (this.records.length > 0) fail(`Expected no jobs to be pushed, but ${this.records.length} were.${this.summary()}`)
  }

  /** Exactly `n` jobs pushed in total. */
  assertCount(n: number): void {
    if (this.records.length !== n) fail(`Expected ${n} job(s) to be pushed, but ${this.records.length} were.`)
  }

  private matching<T extends Job>(cls: JobClass<T>, predicate?: PushedPredicate<T>): { job: T; pushed: PushedJob }[] {
    const name = jobNameOf(cls)
    return this.records
      .filter((pushed) => pushed.payload.job === name)
      .map((pushed) => ({ job: hydrateJobClass(cls, pushed.payload), pushed }))
      .filter(({ job, pushed }) => !predicate || predicate(job, pushed))
  }

  private summary(): string {
    if (this.records.length === 0) return ' Nothing was pushed.'
    return ` Pushed: ${this.records.map((r) => `${r.payload.job} on ${r.connection}:${r.queue}`).join(', ')}.`
  }

  private recordingDriver(connection: string): QueueDriver {
    const record = (raw: string, queue: string | undefined, options: PushOptions = {}): string => {
      const id = randomUUID()
      this.records.push({ id, connection, queue: queue ?? this.defaultQueue(connection), payload: decodePayload(raw), raw, delay: options.delay ?? 0, transaction: options.transaction ?? null })
      return id
    }
    return {
      connectionName: connection,
      pushRaw: async (raw, queue, options) => record(raw, queue, options),
      bulkRaw: async (raws, queue, options) => raws.map((raw) => record(raw, queue, options)),
      pop: async () => [],
      size: async (queue) => this.records.filter((r) => r.connection === connection && r.queue === (queue ?? this.defaultQueue(connection))).length,
      clear: async () => 0,
      close: async () => undefined,
    }
  }
}

function fail(message: string): never {
  throw new AssertionError({ message })
}

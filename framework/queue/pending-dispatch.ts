/**
 * What `Job.dispatch()` returns: collects options, then dispatches once. It is thenable, so
 * `const id = await SendWelcomeEmail.dispatch(user).onQueue('emails')` yields the driver's job id.
 *
 * Like Laravel's PendingDispatch (which dispatches in its destructor), a dispatch that is never awaited
 * still happens: it runs in a microtask after the synchronous chain of options. Chain options in the
 * same expression; an option set after an `await` elsewhere is too late.
 *
 * Transactions (afterCommit): Kiln passes the knex transaction explicitly rather than tracking an
 * ambient one, because knex code already threads `trx` through every query:
 *
 *   await db.transaction(async (trx) => {
 *     await trx('users').insert(user)
 *     await SendWelcomeEmail.dispatch(user.id).withTransaction(trx).afterCommit()
 *   })
 *
 * With afterCommit (here, or the job's `afterCommit` property, or the connection's `after_commit`)
 * the job is pushed once `trx` commits and never if it rolls back; awaiting it yields null because the
 * id exists only after the commit. Without afterCommit the job is pushed at once with the transaction
 * in PushOptions, so the database driver writes its row inside `trx` (rolled back together). Without
 * withTransaction() there is no transaction to wait for, and afterCommit jobs are pushed at once.
 */
import { Application } from '../foundation/application.ts'
import type { TransactionLike } from '../bus/after-commit.ts'
import type { Job } from './job.ts'
import { acquireUniqueLock, releaseHeldUniqueLock, shouldBeUnique } from './unique-jobs.ts'

export type { TransactionLike }

export interface DispatchOptions {
  connection?: string
  queue?: string
  /** Seconds, or the time at which the job becomes available. */
  delay?: number | Date
  afterCommit?: boolean
  transaction?: TransactionLike
  /** Run now, in this process (dispatchSync). */
  sync?: boolean
}

export class PendingDispatch<R = string> implements PromiseLike<R> {
  private readonly options: DispatchOptions
  private result: Promise<R> | undefined
  private awaited = false

  constructor(
    private readonly jobInstance: Job | null,
    options: DispatchOptions = {},
  ) {
    this.options = { ...options }
    // A promise reaction rather than queueMicrotask, which builds an AsyncResource per call: same
    // timing (a microtask after the synchronous chain of options), less work on every dispatch.
    void Promise.resolve().then(() => {
      // Not awaited by anyone: dispatch anyway and report failure as an unhandled rejection would.
      void this.start().catch((error: unknown) => (this.awaited ? undefined : Promise.reject(error)))
    })
  }

  /** A dispatch that does nothing and yields null (dispatchIf with a false condition). */
  static skipped(): PendingDispatch<string | null> {
    return new PendingDispatch<string | null>(null)
  }

  /** The job that will be dispatched (null for a skipped dispatch). */
  get job(): Job | null {
    return this.jobInstance
  }

  onConnection(name: string): this {
    this.options.connection = name
    return this
  }

  onQueue(name: string): this {
    this.options.queue = name
    return this
  }

  /** Seconds from now, or a Date. */
  delay(delay: number | Date): this {
    this.options.delay = delay
    return this
  }

  /** Push only after the transaction given to withTransaction() commits. */
  afterCommit(): this {
    this.options.afterCommit = true
    return this
  }

  /** Push now even if the job or connection asks for afterCommit. */
  beforeCommit(): this {
    this.options.afterCommit = false
    return this
  }

  /** The knex transaction this dispatch belongs to; see the module comment. Yields null when deferred. */
  withTransaction(transaction: TransactionLike): PendingDispatch<R | null> {
    this.options.transaction = transaction
    return this as PendingDispatch<R | null>
  }

  then<A = R, B = never>(onfulfilled?: ((value: R) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.awaited = true
    return this.start().then(onfulfilled, onrejected)
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<R | B> {
    return this.then(undefined, onrejected)
  }

  private start(): Promise<R> {
    this.result ??= this.dispatch()
    return this.result
  }

  private dispatch(): Promise<R> {
    const job = this.jobInstance
    if (!job) return Promise.resolve(null as R)
    try {
      const app = Application.current()
      // Most jobs are not unique: handed straight to the bus, without the async wrapper the lock steps need.
      if (!shouldBeUnique(job)) return app.make('bus').dispatch(job, this.options) as Promise<R>
      return this.dispatchUnique(app, job)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  private async dispatchUnique(app: Application, job: Job): Promise<R> {
    // A unique job (unique-jobs.ts) whose lock is held by an equal job is dropped: null, JobSkippedAsDuplicate.
    if (!this.options.sync && !(await acquireUniqueLock(app, job))) return null as R
    try {
      return (await app.make('bus').dispatch(job, this.options)) as R
    } catch (error) {
      await releaseHeldUniqueLock(app, job)
      throw error
    }
  }
}

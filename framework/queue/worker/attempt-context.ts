import type { JobContext, ReservedJob } from '../contracts.ts'

/**
 * What a running job sees as `this.job`, for one attempt. Its AbortSignal is made only when the handler
 * reads `signal` or the attempt is aborted (a timeout, a lost lease): Node builds an AbortSignal (an
 * EventTarget) in ~10 µs, more than the rest of a no-op job's pipeline, and most handlers never look.
 */
export class AttemptContext implements JobContext, Abortable {
  readonly id: string
  readonly queue: string
  readonly connection: string
  readonly attempts: number
  private controller: AbortController | null = null

  constructor(
    reserved: ReservedJob,
    readonly uuid: string,
  ) {
    this.id = reserved.id
    this.queue = reserved.queue
    this.connection = reserved.connectionName
    this.attempts = reserved.attempts
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal
  }

  abort(reason: unknown): void {
    ;(this.controller ??= new AbortController()).abort(reason)
  }
}

/** What may abort a running attempt (its timeout, a lost lease). */
export interface Abortable {
  abort(reason: unknown): void
}

import { KilnError } from './errors.ts'

/**
 * A server the work depends on (the queue's Redis, a database) cannot be reached right now: neither the
 * caller's fault nor a bug, and worth retrying. The HTTP kernel answers it with 503, a `Retry-After`
 * header and `clientMessage`, which says what happened without the server's address (that stays in
 * `message`, for the log and the CLI). Subclasses keep their own stable `code`.
 */
export class ServiceUnavailableError extends KilnError {
  /** What an HTTP client is told: no host names, ports or config keys. */
  readonly clientMessage: string
  /** Seconds a client should wait before trying again (the `Retry-After` header). */
  readonly retryAfterSeconds: number

  constructor(code: string, message: string, options: { cause?: unknown; clientMessage?: string; retryAfterSeconds?: number } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause })
    this.clientMessage = options.clientMessage ?? 'Service temporarily unavailable: a server this request needs cannot be reached. Try again in a few seconds.'
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5
  }
}

/** The message a client sees when the queue could not take a job; shared by every queue driver. */
export const QUEUE_UNAVAILABLE_CLIENT_MESSAGE = 'Service temporarily unavailable: the job queue cannot be reached, so the request was not accepted. Try again in a few seconds.'

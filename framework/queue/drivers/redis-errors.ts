import { QUEUE_UNAVAILABLE_CLIENT_MESSAGE, ServiceUnavailableError } from '../../support/service-unavailable.ts'

/**
 * Redis could not be reached (down, restarting, frozen, wrong address or password) within the
 * connection's retry budget or reply deadline. Raised instead of hanging or dropping the job: the caller
 * decides whether to retry. A push that was sent and then failed (the connection closed, or the reply
 * deadline passed on a frozen server) may have been stored all the same: the driver withdraws it once
 * Redis answers again (in-doubt-pushes.ts), unless a worker claimed it first.
 */
export class QueueUnavailableError extends ServiceUnavailableError {
  constructor(connectionName: string, server: string, reason: string, cause: unknown) {
    super(
      'E_QUEUE_UNAVAILABLE',
      `Queue connection "${connectionName}" cannot reach Redis at ${server}: ${reason}. The operation was not confirmed; ` +
        'start Redis or check REDIS_HOST, REDIS_PORT and REDIS_PASSWORD (config/redis.ts), then retry.',
      { cause, clientMessage: QUEUE_UNAVAILABLE_CLIENT_MESSAGE },
    )
  }
}

/** Replies that mean "the server is not serving now", as opposed to a bug in a command. */
const UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOAUTH|WRONGPASS)\b/

/** True for errors about reaching the server (socket, retries exhausted, loading, auth). */
export function isUnavailable(error: unknown): error is Error {
  if (!(error instanceof Error)) return false
  // Anything but a reply (a socket error, retries exhausted, a timeout), or a reply saying "not now".
  return mayHaveRun(error) || UNAVAILABLE_REPLIES.test(error.message)
}

/**
 * True when `error` means the command may have run although its reply never came: the connection
 * closed or the reply deadline passed after it was written. A reply from Redis (even LOADING) means it
 * was refused.
 */
export function mayHaveRun(error: unknown): boolean {
  return error instanceof Error && error.name !== 'ReplyError'
}

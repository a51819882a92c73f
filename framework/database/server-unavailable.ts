/**
 * Tells "the database server cannot be used right now" (nothing listens, the connect timed out, the
 * connection dropped, the server is shutting down or starting up) apart from a statement's own error (a
 * constraint, a syntax error, a deadlock) and from a pool that is merely busy: a KnexTimeoutError without a
 * connection error behind it means every connection was in use, which is load, not an outage.
 */

/** A short reason when `error` means the server is unavailable; undefined otherwise. */
export function serverUnavailableReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  if (error.name === 'KnexTimeoutError') return poolTimeoutReason(error)
  const code = errorCode(error)
  if (code !== undefined) {
    const reason = REASONS_BY_CODE[code]
    if (reason) return reason
    // PostgreSQL SQLSTATE class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return `connection error (${code})`
  }
  const message = error.message.trim()
  for (const [pattern, reason] of REASONS_BY_MESSAGE) if (pattern.test(message)) return reason
  return undefined
}

/**
 * True when `error` means the server went away after the statement may have been sent, so it may have
 * been applied (an INSERT committed, its reply lost). False for failures before sending: nothing listens,
 * the connect failed or timed out, the pool had no connection, the server refused a new session.
 */
export function mayHaveBeenApplied(error: unknown): boolean {
  if (serverUnavailableReason(error) === undefined || !(error instanceof Error) || error.name === 'KnexTimeoutError') return false
  const code = errorCode(error)
  if (code !== undefined && NOT_SENT_CODES.has(code)) return false
  return !NOT_SENT_MESSAGES.some((pattern) => pattern.test(error.message.trim()))
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03', '53300', 'ER_CON_COUNT_ERROR'])
const NOT_SENT_MESSAGES = [
  /(?:^| - )timeout expired$/,
  /(?:^| - )Connection terminated due to connection timeout$/,
  /(?:^| - )Client has encountered a connection error and is not queryable$/,
  /(?:^| - )Can't add new command when connection is in closed state$/,
]

const REASONS_BY_CODE: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running on that port?)',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ETIMEDOUT: 'the connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now (starting up), too_many_connections.
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
  // MySQL / MariaDB (mysql2).
  PROTOCOL_CONNECTION_LOST: 'the connection was lost',
  ER_SERVER_SHUTDOWN: 'the server is shutting down',
  ER_CON_COUNT_ERROR: 'the server has too many connections',
}

/** pg reports these without a code; knex puts the failed statement in front (`<sql> - <message>`). */
const REASONS_BY_MESSAGE: [RegExp, string][] = [
  [/(?:^| - )timeout expired$/, 'the connect timed out'],
  [/(?:^| - )Connection terminated( unexpectedly| due to connection timeout)?$/, 'the connection was closed'],
  [/(?:^| - )Client has encountered a connection error and is not queryable$/, 'the connection was lost'],
  [/(?:^| - )Can't add new command when connection is in closed state$/, 'the connection was closed'],
]

/**
 * knex's "Timeout acquiring a connection": an outage when connection attempts were failing meanwhile
 * (tarn keeps the last one's message as the cause), plain load when the pool was just full.
 */
function poolTimeoutReason(error: Error): string | undefined {
  const cause = error.cause instanceof Error ? error.cause.message : ''
  if (cause === '' || /unknown reason/.test(cause)) return undefined
  return `no connection could be opened in time (${cause})`
}

/** The first string `code` on the error, its cause or (Node's dual-stack connect) an AggregateError member. */
function errorCode(error: Error): string | undefined {
  const own = (error as { code?: unknown }).code
  if (typeof own === 'string') return own
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = inner instanceof Error ? errorCode(inner) : undefined
      if (code) return code
    }
  }
  return error.cause instanceof Error ? errorCode(error.cause) : undefined
}

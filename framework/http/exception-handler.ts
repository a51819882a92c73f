import { ServiceUnavailableError } from '../support/service-unavailable.ts'
import { HttpError, ValidationError } from './errors.ts'

export interface RenderedError {
  status: number
  body: Record<string, unknown>
  headers: Record<string, string>
  /** How the server logs it: `error` with the stack (a bug), `warn` as one line (an outage), or not at all. */
  log: 'error' | 'warn' | 'none'
}

/**
 * Turns anything thrown while handling a request into Laravel's JSON error shapes: 422 with `errors`
 * for validation, the client's own status for request errors, 503 with Retry-After when a server the
 * request needs is down (the queue, the database), and 500 "Server Error" for the rest, with the
 * exception, message and trace only when debug is on.
 */
export function renderError(error: unknown, debug: boolean): RenderedError {
  if (error instanceof ValidationError) {
    return { status: 422, body: { message: error.message, errors: error.errors }, headers: {}, log: 'none' }
  }
  if (error instanceof HttpError) {
    const body = error.status < 500 ? { message: error.message } : debug ? debugBody(error) : { message: 'Server Error' }
    return { status: error.status, body, headers: error.headers, log: error.status < 500 ? 'none' : 'error' }
  }
  if (error instanceof ServiceUnavailableError) {
    // Not a bug: the client is told to come back, the log gets one line naming the server, not a stack per request.
    const body = debug ? debugBody(error) : { message: error.clientMessage }
    return { status: 503, body, headers: { 'retry-after': String(error.retryAfterSeconds) }, log: 'warn' }
  }
  const clientStatus = requestErrorStatus(error)
  if (clientStatus !== undefined) {
    return { status: clientStatus, body: { message: requestErrorMessage(error as RequestError) }, headers: {}, log: 'none' }
  }
  return { status: 500, body: debug ? debugBody(error) : { message: 'Server Error' }, headers: {}, log: 'error' }
}

interface RequestError {
  statusCode: number
  code?: string
  message: string
}

/** Errors Fastify raises while reading the request (bad JSON, too large, wrong media type) carry a 4xx. */
function requestErrorStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined
  const status = (error as Partial<RequestError>).statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}

function requestErrorMessage(error: RequestError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The request body is not valid JSON. Fix the body or send it with another Content-Type.'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty but its Content-Type is application/json. Send a JSON body or drop the header.'
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Media Type: send the body as application/json (or a urlencoded form).'
    default:
      return error.message
  }
}

function debugBody(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error), exception: typeof error, trace: [] }
  const frames = (error.stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ''))
    .filter(Boolean)
  const location = /\(?(\S+?):(\d+):\d+\)?$/.exec(frames[0] ?? '')
  return {
    message: error.message,
    exception: error.name,
    ...(location ? { file: location[1], line: Number(location[2]) } : {}),
    trace: frames,
  }
}

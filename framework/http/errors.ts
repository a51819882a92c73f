import { KilnError } from '../support/errors.ts'

/** Field name -> its messages, in Laravel's `errors` shape. */
export type ValidationMessages = Record<string, string[]>

/**
 * Request input broke the rules given to `request.validate()`. The HTTP kernel answers it with 422 and
 * `{ message, errors }`, the message summarising the first error as Laravel does.
 */
export class ValidationError extends KilnError {
  readonly status = 422

  constructor(readonly errors: ValidationMessages) {
    super('E_VALIDATION_FAILED', summarize(errors))
  }
}

/**
 * An error meant for the client: `throw new HttpError(403, 'This action is unauthorized.')`. Its
 * message is shown even when debug is off (for 4xx); 5xx still answer "Server Error".
 */
export class HttpError extends KilnError {
  constructor(
    readonly status: number,
    message: string = defaultStatusText(status),
    readonly headers: Record<string, string> = {},
  ) {
    super('E_HTTP', message)
  }
}

/** A validation rule name (or its argument) that the validator does not know. A programming error. */
export class InvalidValidationRuleError extends KilnError {
  constructor(field: string, rule: string, reason: string) {
    super('E_INVALID_VALIDATION_RULE', `The rule "${rule}" on field "${field}" ${reason}`)
  }
}

/** routes/api.ts does not default-export `defineRoutes(...)`, or a route points at a missing method. */
export class InvalidRouteError extends KilnError {
  constructor(message: string) {
    super('E_INVALID_ROUTE', message)
  }
}

/** `craft serve` could not bind because another process holds the port. */
export class PortInUseError extends KilnError {
  constructor(host: string, port: number) {
    super('E_PORT_IN_USE', `Failed to listen on ${host}:${port}: the address is already in use. Stop the other server or pick another port with --port.`)
  }
}

function summarize(errors: ValidationMessages): string {
  const messages = Object.values(errors).flat()
  const first = messages[0]
  if (first === undefined) return 'The given data was invalid.'
  const more = messages.length - 1
  if (more === 0) return first
  return `${first} (and ${more} more ${more === 1 ? 'error' : 'errors'})`
}

function defaultStatusText(status: number): string {
  return statusTexts[status] ?? (status >= 500 ? 'Server Error' : 'Error')
}

const statusTexts: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthenticated.',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  419: 'Page Expired',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Server Error',
  503: 'Service Unavailable',
}

/**
 * The base of every error Kiln raises on purpose. `code` is stable (tests and users match on it);
 * the message is free to improve and should tell the user what to do. Every code is listed in
 * docs/errors.md (a test keeps the two in step).
 */
export class KilnError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

export function isKilnError(error: unknown): error is KilnError {
  return error instanceof KilnError
}

/** Text for an unknown thrown value, without a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

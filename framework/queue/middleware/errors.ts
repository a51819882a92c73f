import { KilnError } from '../../support/errors.ts'

/** A job middleware was given a setting it cannot work with (a negative window, an empty name). */
export class InvalidJobMiddlewareError extends KilnError {
  constructor(middleware: string, problem: string) {
    super('E_INVALID_JOB_MIDDLEWARE', `${middleware}: ${problem}. Fix the value in the job's middleware().`)
  }
}

import { KilnError } from '../../support/errors.ts'

/** `queue:retry 999`, `queue:forget 999`: no failed job has that id or uuid. */
export class FailedJobNotFoundError extends KilnError {
  constructor(idOrUuid: string) {
    super('E_FAILED_JOB_NOT_FOUND', `No failed job matches the ID [${idOrUuid}]. List the failed jobs with \`craft queue:failed\`.`)
  }
}

/** A destructive command run in production without --force where nobody can be asked. */
export class ConfirmationRequiredError extends KilnError {
  constructor(command: string) {
    super('E_CONFIRMATION_REQUIRED', `The application is in production: \`craft ${command}\` needs --force to run without asking.`)
  }
}

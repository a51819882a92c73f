import { KilnError } from '../support/errors.ts'

/** A command-line value that cannot be used (`--tries=abc`). Exit code 1, no stack trace. */
export class InvalidInputError extends KilnError {
  constructor(message: string) {
    super('E_INVALID_INPUT', message)
  }
}

export class CommandFailedError extends KilnError {
  constructor(message: string) {
    super('E_COMMAND_FAILED', message)
  }
}

export class InvalidCommandError extends KilnError {
  constructor(file: string, reason: string) {
    super('E_INVALID_COMMAND', `The command file ${file} cannot be loaded: ${reason}`)
  }
}

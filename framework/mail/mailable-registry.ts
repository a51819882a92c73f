import { ClassRegistry } from '../support/class-registry.ts'
import { DuplicateMailableNameError, InvalidMailableFileError, UnknownMailableError } from './errors.ts'
import { isMailableClass, mailableNameOf, type MailableClass } from './mailable.ts'

/**
 * Mailable names to classes (service `mailables`), filled from app/Mail on first use: a queued
 * mailable's payload names its class, and only a registered name is ever rebuilt.
 */
export class MailableRegistry extends ClassRegistry<MailableClass> {
  constructor(autoload: string[] = []) {
    super({
      autoload,
      accepts: isMailableClass,
      nameOf: (cls) => mailableNameOf(cls),
      errors: {
        unknown: (name, known) => new UnknownMailableError(name, known),
        duplicate: (name) => new DuplicateMailableNameError(name),
        invalidFile: (file, cause) => new InvalidMailableFileError(file, cause),
      },
    })
  }
}

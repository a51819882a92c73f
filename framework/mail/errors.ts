import { KilnError } from '../support/errors.ts'

export class UnknownMailerError extends KilnError {
  constructor(name: string, configured: string[]) {
    super('E_UNKNOWN_MAILER', `Mailer "${name}" is not configured. Configured mailers: ${configured.join(', ') || 'none'} (config/mail.ts).`)
  }
}

export class MissingRecipientsError extends KilnError {
  constructor(mailable: string) {
    super('E_MAIL_NO_RECIPIENTS', `The mailable ${mailable} has no recipient. Name one: Mail.to(user).send(new ${mailable}(...)).`)
  }
}

export class InvalidMailAddressError extends KilnError {
  constructor(value: string) {
    super('E_INVALID_MAIL_ADDRESS', `${value} is not a mail address. Pass "user@example.com", { address, name }, or an object with an email property (a User).`)
  }
}

export class MissingMailContentError extends KilnError {
  constructor(mailable: string) {
    super('E_MAIL_NO_CONTENT', `The mailable ${mailable} has no content. Return { html, text } (at least one) from its content() method.`)
  }
}

export class UnknownMailableError extends KilnError {
  constructor(name: string, known: string[]) {
    super('E_UNKNOWN_MAILABLE', `No mailable is registered as "${name}" (registered: ${known.join(', ') || 'none'}). Export the class from a file in app/Mail, or register it with app.make('mailables').register(${name}).`)
  }
}

export class DuplicateMailableNameError extends KilnError {
  constructor(name: string) {
    super('E_DUPLICATE_MAILABLE_NAME', `Two different mailable classes are named "${name}". Rename one, or set a distinct \`static mailableName\` on it.`)
  }
}

export class InvalidMailableFileError extends KilnError {
  constructor(file: string, cause: unknown) {
    super('E_INVALID_MAILABLE_FILE', `The mailable file ${file} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}. Fix the error in that file.`, { cause })
  }
}

export class MailTransportError extends KilnError {
  constructor(mailer: string, cause: unknown) {
    super('E_MAIL_TRANSPORT', `The "${mailer}" mailer could not send the message: ${cause instanceof Error ? cause.message : String(cause)}. Check the MAIL_* settings (config/mail.ts) and that the mail server is reachable.`, { cause })
  }
}

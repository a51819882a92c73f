/**
 * `Mail`: a typed facade over the application's `mail` service.
 *
 *   await Mail.to(user).send(new WelcomeEmail(user))          // sent now, or queued if a QueuedMailable
 *   await Mail.to('ops@example.com').cc(admin).queue(new Report())
 *   await Mail.to(user).later(60, new Reminder(user))
 *   await Mail.mailer('smtp').to(user).send(new Invoice(order))
 *   const mail = Mail.fake()                                  // tests: record instead of sending
 */
import { Application } from '../foundation/application.ts'
import { fakeMail, type MailFake } from '../testing/mail-fake.ts'
import type { Recipients } from './address.ts'
import type { Mailer } from './mailer.ts'
import type { PendingMail } from './pending-mail.ts'

export interface MailFacade {
  to(recipients: Recipients): PendingMail
  cc(recipients: Recipients): PendingMail
  bcc(recipients: Recipients): PendingMail
  /** A configured mailer by name (config/mail.ts); the default when omitted. */
  mailer(name?: string): Mailer
  /** Replaces the mail service with a recording fake; `restore()` puts the real one back. */
  fake(): MailFake
}

const manager = () => Application.current().make('mail')

export const Mail: MailFacade = {
  to: (recipients) => manager().to(recipients),
  cc: (recipients) => manager().cc(recipients),
  bcc: (recipients) => manager().bcc(recipients),
  mailer: (name) => manager().mailer(name),
  fake: () => fakeMail(Application.current()),
}

export { Mailable, QueuedMailable, type Attachment, type Content, type Envelope } from './mailable.ts'
export { html, raw, text } from './template.ts'

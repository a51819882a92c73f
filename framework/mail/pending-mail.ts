import type { Recipients } from './address.ts'
import type { Mailable } from './mailable.ts'
import type { Mailer } from './mailer.ts'
import { normalizeAddresses } from './address.ts'
import type { MailRecipients, SentMessage } from './message.ts'

/** `Mail.to(user).cc(...).bcc(...)`: collects recipients, then sends or queues a mailable. */
export class PendingMail {
  private readonly recipients: MailRecipients = { to: [], cc: [], bcc: [] }

  constructor(private readonly mailer: Mailer) {}

  to(recipients: Recipients): this {
    this.recipients.to.push(...normalizeAddresses(recipients))
    return this
  }

  cc(recipients: Recipients): this {
    this.recipients.cc.push(...normalizeAddresses(recipients))
    return this
  }

  bcc(recipients: Recipients): this {
    this.recipients.bcc.push(...normalizeAddresses(recipients))
    return this
  }

  /** Sends now; a QueuedMailable is queued instead (and null is returned). */
  send(mailable: Mailable): Promise<SentMessage | null> {
    return this.mailer.send(mailable, this.snapshot())
  }

  /** Sends now, in this process, even a QueuedMailable. */
  sendNow(mailable: Mailable): Promise<SentMessage> {
    return this.mailer.sendNow(mailable, this.snapshot())
  }

  /** Queues the mailable (its onQueue/onConnection apply); yields the job id. */
  queue(mailable: Mailable): Promise<string> {
    return this.mailer.queue(mailable, this.snapshot())
  }

  /** Queues the mailable, sent after `delay` seconds (or at a Date). */
  later(delay: number | Date, mailable: Mailable): Promise<string> {
    return this.mailer.queue(mailable, this.snapshot(), delay)
  }

  private snapshot(): MailRecipients {
    return { to: [...this.recipients.to], cc: [...this.recipients.cc], bcc: [...this.recipients.bcc] }
  }
}

import type { Application } from '../foundation/application.ts'
import type { Recipients } from './address.ts'
import type { MailAddress } from './config.ts'
import { mailableNameOf, shouldQueueMailable, type Mailable, type MailableClass } from './mailable.ts'
import { buildMessage, type MailMessage, type MailRecipients, type SentMessage } from './message.ts'
import { PendingMail } from './pending-mail.ts'
import { SendQueuedMailable } from './send-queued-mailable.ts'
import { ArrayTransport } from './transports/array.ts'
import type { MailTransport } from './transports/transport.ts'

/** One configured mailer (config/mail.ts `mailers.<name>`): renders mailables and sends or queues them. */
export class Mailer {
  constructor(
    readonly name: string,
    protected readonly transport: MailTransport,
    protected readonly from: MailAddress,
    protected readonly app: Application,
  ) {}

  to(recipients: Recipients): PendingMail {
    return new PendingMail(this).to(recipients)
  }

  cc(recipients: Recipients): PendingMail {
    return new PendingMail(this).cc(recipients)
  }

  bcc(recipients: Recipients): PendingMail {
    return new PendingMail(this).bcc(recipients)
  }

  /** Sends now, or queues a QueuedMailable (then yields null). */
  async send(mailable: Mailable, recipients: MailRecipients): Promise<SentMessage | null> {
    if (shouldQueueMailable(mailable)) {
      await this.queue(mailable, recipients)
      return null
    }
    return this.sendNow(mailable, recipients)
  }

  /** Renders and delivers in this process, whatever the mailable's class. */
  async sendNow(mailable: Mailable, recipients: MailRecipients): Promise<SentMessage> {
    return this.transport.send(await buildMessage(mailable, recipients, this.from))
  }

  /**
   * Queues the mailable: a `Kiln.SendQueuedMailable` job carrying its class name, data and recipients,
   * on the mailable's connection and queue. `delay` (seconds or a Date) overrides the mailable's own.
   * Yields the queue's job id.
   */
  async queue(mailable: Mailable, recipients: MailRecipients, delay?: number | Date): Promise<string> {
    const registry = this.app.make('mailables')
    registry.register(mailable.constructor as MailableClass)
    const pending = SendQueuedMailable.dispatch(mailableNameOf(mailable), mailable, recipients, this.name)
    if (mailable.connection !== undefined) pending.onConnection(mailable.connection)
    if (mailable.queue !== undefined) pending.onQueue(mailable.queue)
    const wait = delay ?? mailable.delay
    if (wait !== undefined) pending.delay(wait)
    return pending
  }

  /** The messages an `array` mailer kept (empty for other transports). */
  messages(): MailMessage[] {
    return this.transport instanceof ArrayTransport ? this.transport.messages : []
  }

  /** Forgets the messages an `array` mailer kept. */
  flush(): void {
    if (this.transport instanceof ArrayTransport) this.transport.flush()
  }

  async close(): Promise<void> {
    await this.transport.close?.()
  }
}


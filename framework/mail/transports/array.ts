import { allRecipients, generateMessageId, type MailMessage, type SentMessage } from '../message.ts'
import type { MailTransport } from './transport.ts'

/** Keeps messages in memory, in order (tests that want the rendered message, not just the mailable). */
export class ArrayTransport implements MailTransport {
  readonly messages: MailMessage[] = []

  async send(message: MailMessage): Promise<SentMessage> {
    this.messages.push(message)
    return { messageId: generateMessageId(message.from), message, accepted: allRecipients(message), rejected: [] }
  }

  flush(): void {
    this.messages.length = 0
  }
}

import type { Logger } from '../../logging/logger.ts'
import { formatAddress } from '../address.ts'
import { allRecipients, generateMessageId, type MailMessage, type SentMessage } from '../message.ts'
import type { MailTransport } from './transport.ts'

/** Writes each message to the application log instead of sending it (the default in development). */
export class LogTransport implements MailTransport {
  constructor(
    private readonly mailer: string,
    private readonly log: () => Logger,
  ) {}

  async send(message: MailMessage): Promise<SentMessage> {
    const messageId = generateMessageId(message.from)
    this.log().info(
      {
        mail: {
          mailer: this.mailer,
          messageId,
          mailable: message.mailable,
          from: formatAddress(message.from),
          to: message.to.map(formatAddress),
          cc: message.cc.map(formatAddress),
          bcc: message.bcc.map(formatAddress),
          subject: message.subject,
          text: message.text,
          html: message.html,
          attachments: message.attachments.map((attachment) => attachment.filename ?? ('path' in attachment ? attachment.path : '')),
        },
      },
      `Mail "${message.subject}" to ${message.to.map(formatAddress).join(', ') || allRecipients(message).join(', ')}`,
    )
    return { messageId, message, accepted: allRecipients(message), rejected: [] }
  }
}

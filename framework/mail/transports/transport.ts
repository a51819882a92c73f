import type { MailMessage, SentMessage } from '../message.ts'

/** Delivers rendered messages. One per mailer, built on first use. */
export interface MailTransport {
  send(message: MailMessage): Promise<SentMessage>
  close?(): Promise<void> | void
}

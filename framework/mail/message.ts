/** A rendered message: what a transport sends, the log mailer writes and the array mailer keeps. */
import { randomUUID } from 'node:crypto'
import { normalizeAddress, normalizeAddresses } from './address.ts'
import type { MailAddress } from './config.ts'
import { MissingMailContentError, MissingRecipientsError } from './errors.ts'
import { mailableNameOf, type Attachment, type Mailable } from './mailable.ts'

export interface MailRecipients {
  to: MailAddress[]
  cc: MailAddress[]
  bcc: MailAddress[]
}

export interface MailMessage {
  /** The mailable's registered name. */
  mailable: string
  from: MailAddress
  to: MailAddress[]
  cc: MailAddress[]
  bcc: MailAddress[]
  replyTo: MailAddress[]
  subject: string
  html: string | null
  text: string | null
  attachments: Attachment[]
  headers: Record<string, string>
}

export interface SentMessage {
  messageId: string
  message: MailMessage
  /** Addresses the server accepted / rejected (SMTP); every recipient otherwise. */
  accepted: string[]
  rejected: string[]
}

/** Renders `mailable` (envelope, content, attachments) for these recipients. */
export async function buildMessage(mailable: Mailable, recipients: MailRecipients, defaultFrom: MailAddress): Promise<MailMessage> {
  const name = mailableNameOf(mailable)
  if (recipients.to.length + recipients.cc.length + recipients.bcc.length === 0) throw new MissingRecipientsError(name)
  const envelope = await mailable.envelope()
  const content = await mailable.content()
  const html = content.html === undefined ? null : String(content.html)
  const text = content.text ?? null
  if (html === null && text === null) throw new MissingMailContentError(name)
  const headers: Record<string, string> = {}
  if (envelope.tags?.length) headers['X-Tag'] = envelope.tags.join(', ')
  for (const [key, value] of Object.entries(envelope.metadata ?? {})) headers[`X-Metadata-${key}`] = value
  return {
    mailable: name,
    from: envelope.from ? normalizeAddress(envelope.from) : defaultFrom,
    to: recipients.to,
    cc: recipients.cc,
    bcc: recipients.bcc,
    replyTo: envelope.replyTo ? normalizeAddresses(envelope.replyTo) : [],
    subject: envelope.subject,
    html,
    text,
    attachments: typeof mailable.attachments === 'function' ? await mailable.attachments() : [],
    headers,
  }
}

export function generateMessageId(from: MailAddress): string {
  const domain = from.address.split('@')[1] || 'kiln.local'
  return `<${randomUUID()}@${domain}>`
}

/** Every recipient address (to, cc, bcc). */
export function allRecipients(message: Pick<MailMessage, 'to' | 'cc' | 'bcc'>): string[] {
  return [...message.to, ...message.cc, ...message.bcc].map((address) => address.address)
}

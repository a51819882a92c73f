import type { Transporter } from 'nodemailer'
import type { SmtpMailerConfig } from '../config.ts'
import { formatAddress } from '../address.ts'
import { MailTransportError } from '../errors.ts'
import type { MailMessage, SentMessage } from '../message.ts'
import type { MailTransport } from './transport.ts'

/** SMTP through nodemailer, which is imported on the first message (never by `craft list`). */
export class SmtpTransport implements MailTransport {
  private transporter: Promise<Transporter> | undefined

  constructor(
    private readonly mailer: string,
    private readonly config: SmtpMailerConfig,
  ) {}

  async send(message: MailMessage): Promise<SentMessage> {
    const transporter = await (this.transporter ??= this.open())
    try {
      const info = (await transporter.sendMail({
        from: formatAddress(message.from),
        to: message.to.map(formatAddress),
        cc: message.cc.map(formatAddress),
        bcc: message.bcc.map(formatAddress),
        replyTo: message.replyTo.map(formatAddress),
        subject: message.subject,
        html: message.html ?? undefined,
        text: message.text ?? undefined,
        attachments: message.attachments.map((attachment) => ({ ...attachment })),
        headers: message.headers,
      })) as { messageId: string; accepted?: unknown[]; rejected?: unknown[] }
      return { messageId: info.messageId, message, accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) }
    } catch (error) {
      throw new MailTransportError(this.mailer, error)
    }
  }

  async close(): Promise<void> {
    const pending = this.transporter
    this.transporter = undefined
    if (pending) (await pending).close()
  }

  private async open(): Promise<Transporter> {
    const nodemailer = await import('nodemailer')
    const { config } = this
    const timeoutMs = config.timeout ? config.timeout * 1000 : undefined
    return nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.encryption === 'ssl',
      requireTLS: config.encryption === 'tls',
      ignoreTLS: config.encryption === 'none',
      auth: config.username ? { user: config.username, pass: config.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      name: config.local_domain ?? undefined,
    })
  }
}

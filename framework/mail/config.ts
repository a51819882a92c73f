/** The shape of config/mail.ts. */

/** Delivers over SMTP with nodemailer (loaded on first use). */
export interface SmtpMailerConfig {
  transport: 'smtp'
  host: string
  port: number
  username?: string | null
  password?: string | null
  /** 'ssl': TLS from the first byte (port 465); 'tls': STARTTLS required; 'none': never upgrade; null: upgrade when offered. */
  encryption?: 'ssl' | 'tls' | 'none' | null
  /** Seconds to wait for the connection and for each SMTP reply. */
  timeout?: number | null
  /** The name given in EHLO (defaults to the machine's host name). */
  local_domain?: string | null
}

/** Writes each message to the application log (config/logging.ts) instead of sending it. */
export interface LogMailerConfig {
  transport: 'log'
}

/** Keeps messages in memory (`app.make('mail').mailer('array').messages()`), for tests. */
export interface ArrayMailerConfig {
  transport: 'array'
}

export type MailerConfig = SmtpMailerConfig | LogMailerConfig | ArrayMailerConfig
export type MailTransportName = MailerConfig['transport']

export interface MailAddress {
  address: string
  name?: string | null
}

export interface MailConfig {
  /** The mailer used unless one is named. */
  default: string
  mailers: Record<string, MailerConfig>
  /** The sender of every message whose envelope names none. */
  from: MailAddress
}

export function defineMailConfig(config: MailConfig): MailConfig {
  return config
}

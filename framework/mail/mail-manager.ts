import type { Application } from '../foundation/application.ts'
import type { Recipients } from './address.ts'
import type { MailConfig, MailerConfig } from './config.ts'
import { UnknownMailerError } from './errors.ts'
import { Mailer } from './mailer.ts'
import { configEntry, NamedInstances } from '../support/named-instances.ts'
import type { PendingMail } from './pending-mail.ts'
import { ArrayTransport } from './transports/array.ts'
import { LogTransport } from './transports/log.ts'
import { SmtpTransport } from './transports/smtp.ts'
import type { MailTransport } from './transports/transport.ts'

/** Mailers by name (service `mail`), built on first use and cached; `to()` goes through the default one. */
export class MailManager {
  private readonly mailers = new NamedInstances<Mailer>((name) => {
    const config = configEntry(this.config.mailers, name)
    if (!config) throw new UnknownMailerError(name, this.mailerNames())
    return this.build(name, config)
  })

  constructor(
    protected readonly config: MailConfig,
    protected readonly app: Application,
  ) {}

  get defaultMailer(): string {
    return this.config.default
  }

  mailerNames(): string[] {
    return Object.keys(this.config.mailers)
  }

  /** The mailer `name` (the default when omitted); E_UNKNOWN_MAILER for a name config/mail.ts lacks. */
  mailer(name: string = this.config.default): Mailer {
    return this.mailers.get(name)
  }

  to(recipients: Recipients): PendingMail {
    return this.mailer().to(recipients)
  }

  cc(recipients: Recipients): PendingMail {
    return this.mailer().cc(recipients)
  }

  bcc(recipients: Recipients): PendingMail {
    return this.mailer().bcc(recipients)
  }

  async close(): Promise<void> {
    await Promise.all(this.mailers.drain().map((mailer) => mailer.close()))
  }

  protected build(name: string, config: MailerConfig): Mailer {
    return new Mailer(name, this.transport(name, config), this.config.from, this.app)
  }

  private transport(name: string, config: MailerConfig): MailTransport {
    switch (config.transport) {
      case 'smtp':
        return new SmtpTransport(name, config)
      case 'log':
        return new LogTransport(name, () => this.app.make('log'))
      case 'array':
        return new ArrayTransport()
    }
  }
}

import type { ServiceProvider } from '../foundation/provider.ts'
import { MailManager } from './mail-manager.ts'
import { MailableRegistry } from './mailable-registry.ts'

declare module '../foundation/services.ts' {
  interface Services {
    mail: MailManager
    mailables: MailableRegistry
  }
}

export const mailProvider: ServiceProvider = {
  register(app) {
    app.singleton('mail', () => new MailManager(app.config('mail'), app), (mail) => mail.close())
    app.singleton('mailables', () => new MailableRegistry([app.appPath('Mail')]))
  },
}

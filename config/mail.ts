import { env } from '#kiln/foundation/env'
import { defineMailConfig } from '#kiln/mail/config'

export default defineMailConfig({
  // smtp | log | array
  default: env.string('MAIL_MAILER', 'log'),

  mailers: {
    smtp: {
      transport: 'smtp',
      host: env.string('MAIL_HOST', '127.0.0.1'),
      port: env.number('MAIL_PORT', 2525),
      username: env.string('MAIL_USERNAME', '') || null,
      password: env.string('MAIL_PASSWORD', '') || null,
      // ssl (implicit TLS, port 465) | tls (STARTTLS required) | none | empty: STARTTLS when offered
      encryption: (env.string('MAIL_ENCRYPTION', '') || null) as 'ssl' | 'tls' | 'none' | null,
      timeout: env.number('MAIL_TIMEOUT', 30),
      local_domain: env.string('MAIL_EHLO_DOMAIN', '') || null,
    },

    log: { transport: 'log' },

    array: { transport: 'array' },
  },

  from: {
    address: env.string('MAIL_FROM_ADDRESS', 'hello@example.com'),
    name: env.string('MAIL_FROM_NAME', env.string('APP_NAME', 'Kiln')),
  },
})

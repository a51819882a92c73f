import { env } from '#kiln/foundation/env'

/** Third-party services the seed app calls over HTTP (Laravel's config/services.php). */
export interface ServicesConfig {
  /** CreateCrmProfile POSTs each new user here; empty skips the call. */
  crm: { url: string; timeout: number }
  /** NotifySlack POSTs `{ text }` to this incoming webhook; empty skips the call. */
  slack: { webhookUrl: string }
  /** Who receives the import summaries. */
  admin: { email: string }
}

declare module '#kiln/foundation/config' {
  interface KilnConfig {
    services: ServicesConfig
  }
}

export default {
  crm: { url: env.string('CRM_URL', ''), timeout: env.number('CRM_TIMEOUT', 10) },
  slack: { webhookUrl: env.string('SLACK_WEBHOOK_URL', '') },
  admin: { email: env.string('ADMIN_EMAIL', 'admin@example.com') },
} satisfies ServicesConfig

import { env } from '#kiln/foundation/env'
import { defineHttpConfig } from '#kiln/http/config'

export default defineHttpConfig({
  host: env.string('APP_HOST', '127.0.0.1'),
  port: env.number('APP_PORT', 3000),
  // 1 MiB, Fastify's default; raise it for uploads.
  bodyLimit: env.number('HTTP_BODY_LIMIT', 1_048_576),
  trustProxy: env.boolean('HTTP_TRUST_PROXY', false),
  logRequests: env.boolean('HTTP_LOG_REQUESTS', true),
})

import { defineAppConfig } from '#kiln/foundation/app-config'
import { env } from '#kiln/foundation/env'

export default defineAppConfig({
  name: env.string('APP_NAME', 'Kiln'),
  env: env.string('APP_ENV', 'production'),
  key: env.string('APP_KEY', ''),
  previousKeys: env
    .string('APP_PREVIOUS_KEYS', '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean),
  debug: env.boolean('APP_DEBUG', false),
  url: env.string('APP_URL', 'http://localhost:3000'),
})

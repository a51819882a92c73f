import { env } from '#kiln/foundation/env'
import { defineLoggingConfig, type LogLevel } from '#kiln/logging/config'

export default defineLoggingConfig({
  // stack = stdout + file; `stdout` alone for containers, `file` alone for quiet terminals.
  default: env.string('LOG_CHANNEL', 'stack'),
  level: env.string('LOG_LEVEL', 'info') as LogLevel,

  channels: {
    stack: { driver: 'stack', channels: ['stdout', 'file'] },
    // Pretty lines on a terminal, JSON lines otherwise; LOG_PRETTY=true forces pretty (npm run dev sets it).
    stdout: { driver: 'stdout', pretty: env.boolean('LOG_PRETTY', false) || 'auto' },
    file: { driver: 'file', path: 'storage/logs/kiln.log' },
  },

  redact: ['password', 'token', 'secret', 'authorization'],
})

import { env } from '#kiln/foundation/env'
import { defineLoggingConfig, type LogLevel } from '#kiln/logging/config'

export default defineLoggingConfig({
  // stack = stdout + file; `stdout` alone for containers, `file` alone for quiet terminals.
  default: env.string('LOG_CHANNEL', 'stack'),
  level: env.string('LOG_LEVEL', 'info') as LogLevel,

  channels: {
    stack: { driver: 'stack', channels: ['stdout', 'file'] },
    stdout: { driver: 'stdout', pretty: 'auto' },
    file: { driver: 'file', path: 'storage/logs/kiln.log' },
  },

  redact: ['password', 'token', 'secret', 'authorization'],
})

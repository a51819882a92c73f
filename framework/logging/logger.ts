import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join } from 'node:path'
import type { DestinationStream, Logger as PinoLogger, StreamEntry } from 'pino'
import { KilnError } from '../support/errors.ts'
import type { ChannelConfig, LoggingConfig, LogLevel } from './config.ts'

export type Logger = PinoLogger

const require = createRequire(import.meta.url)

export class UnknownLogChannelError extends KilnError {
  constructor(name: string, configured: string[]) {
    super('E_UNKNOWN_LOG_CHANNEL', `Log channel "${name}" is not configured. Configured channels: ${configured.join(', ')} (config/logging.ts).`)
  }
}

/**
 * Builds the pino logger for the default channel. pino and pino-pretty are loaded here, on first use,
 * with synchronous streams: no transport worker threads, so a CLI command exits as soon as it is done.
 */
export function createLogger(config: LoggingConfig, basePath: string): Logger {
  const pino = require('pino') as typeof import('pino')
  const streams: StreamEntry[] = []
  collectStreams(config, config.default, basePath, streams, new Set())
  const redact = config.redact.flatMap((key) => [key, `*.${key}`])
  return pino.pino({ level: config.level, redact: { paths: redact, censor: '[redacted]' } }, pino.multistream(streams))
}

function collectStreams(config: LoggingConfig, name: string, basePath: string, out: StreamEntry[], seen: Set<string>): void {
  if (seen.has(name)) return
  seen.add(name)
  const channel = config.channels[name]
  if (!channel) throw new UnknownLogChannelError(name, Object.keys(config.channels))
  if (channel.driver === 'stack') {
    for (const child of channel.channels) collectStreams(config, child, basePath, out, seen)
    return
  }
  out.push({ level: channel.level ?? config.level, stream: channelStream(channel, basePath) } as StreamEntry)
}

function channelStream(channel: Exclude<ChannelConfig, { driver: 'stack' }>, basePath: string): DestinationStream {
  const pino = require('pino') as typeof import('pino')
  if (channel.driver === 'file') {
    const path = isAbsolute(channel.path) ? channel.path : join(basePath, channel.path)
    mkdirSync(dirname(path), { recursive: true })
    return pino.destination({ dest: path, sync: true, mkdir: true })
  }
  const pretty = channel.pretty === undefined || channel.pretty === 'auto' ? Boolean(process.stdout.isTTY) : channel.pretty
  if (!pretty) return pino.destination({ dest: 1, sync: true })
  const pinoPretty = require('pino-pretty') as typeof import('pino-pretty').PinoPretty
  return pinoPretty({ colorize: true, sync: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss', ignore: 'pid,hostname' })
}

export function isLogLevel(value: string): value is LogLevel {
  return ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(value)
}

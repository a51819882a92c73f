export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export type ChannelConfig =
  /** Standard output: pretty lines on a terminal, JSON lines otherwise (or forced with `pretty`). */
  | { driver: 'stdout'; level?: LogLevel; pretty?: boolean | 'auto' }
  /** JSON lines appended to a file under the app's base path. */
  | { driver: 'file'; path: string; level?: LogLevel }
  /** Several channels at once. */
  | { driver: 'stack'; channels: string[] }

export interface LoggingConfig {
  default: string
  level: LogLevel
  channels: Record<string, ChannelConfig>
  /** Keys whose values are replaced by [redacted] in every log line. */
  redact: string[]
}

export function defineLoggingConfig(config: LoggingConfig): LoggingConfig {
  return config
}

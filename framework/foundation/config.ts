/**
 * The typed shape of `config/*.ts`. Each module owns its section's type; this map ties a config file
 * name to it, so `app.config('queue')` is typed and a wrong key is a compile error.
 */
import type { AppConfig } from './app-config.ts'
import type { CacheConfig } from '../cache/config.ts'
import type { DatabaseConfig } from '../database/config.ts'
import type { HttpConfig } from '../http/config.ts'
import type { LoggingConfig } from '../logging/config.ts'
import type { MailConfig } from '../mail/config.ts'
import type { QueueConfig } from '../queue/config.ts'
import type { RedisConfig } from '../redis/config.ts'

export interface KilnConfig {
  app: AppConfig
  cache: CacheConfig
  database: DatabaseConfig
  http: HttpConfig
  logging: LoggingConfig
  mail: MailConfig
  queue: QueueConfig
  redis: RedisConfig
}

export type ConfigOverrides = { [K in keyof KilnConfig]?: DeepPartial<KilnConfig[K]> }

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

/** Merges plain objects key by key; arrays and other values replace. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(out[key], value)
  return out as T
}

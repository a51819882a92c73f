import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'

/** One named Redis connection. A `url` (redis:// or rediss://) wins over host/port/username/password/db. */
export interface RedisConnectionConfig {
  url?: string
  host: string
  port: number
  username?: string
  password?: string
  /** Database index (SELECT). */
  db?: number
  /** `true` for TLS with Node's defaults, or Node TLS options (ca, cert, servername, ...). */
  tls?: boolean | TlsConnectionOptions
  /** Prepended to every key this connection touches; overrides `options.prefix`. */
  keyPrefix?: string
}

/** Settings shared by every connection. */
export interface RedisOptions {
  /** Key prefix for connections that set none (REDIS_PREFIX), so apps sharing a server do not collide. */
  prefix?: string
  /**
   * Reconnect attempts a command waits through while Redis is unreachable before it fails with a clear
   * error (default 5): reconnects are tried every 200 ms at most, so a command fails within about 1.2 s
   * of an outage (0.7 s right after a drop). Keeps a producer from hanging while still riding out a
   * quick restart.
   */
  maxRetriesPerRequest?: number
  /** Milliseconds to wait for a TCP/TLS connection before trying again. */
  connectTimeout?: number
  /**
   * Milliseconds a command may wait for its reply before it fails (default 10000): a frozen server or a
   * silently dropped connection then gives an error instead of a hang. Blocking connections are exempt.
   */
  commandTimeout?: number
}

export interface RedisConfig {
  /** Connections by name; `default` is used when none is named. */
  connections: Record<string, RedisConnectionConfig>
  options?: RedisOptions
}

export function defineRedisConfig(config: RedisConfig): RedisConfig {
  return config
}

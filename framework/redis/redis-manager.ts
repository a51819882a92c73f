import { createRequire } from 'node:module'
import type { Redis, RedisOptions as ClientOptions } from 'ioredis'
import type { RedisConfig, RedisConnectionConfig } from './config.ts'
import { UnknownRedisConnectionError } from './errors.ts'

type IORedisModule = typeof import('ioredis')

/**
 * ioredis connections by name, built on first use and cached. ioredis itself is required only then, so
 * commands that never touch Redis never load it; `connection()` stays synchronous for callers.
 * Connections are lazy (no socket until the first command) and reconnect by themselves.
 */
export class RedisManager {
  private readonly connections = new Map<string, Redis>()
  private readonly duplicates = new Set<Redis>()

  constructor(private readonly config: RedisConfig) {}

  connectionNames(): string[] {
    return Object.keys(this.config.connections)
  }

  connectionConfig(name = 'default'): RedisConnectionConfig {
    const config = this.config.connections[name]
    if (!config) throw new UnknownRedisConnectionError(name, this.connectionNames())
    return config
  }

  /** The shared command connection `name`. Never use it for blocking commands: see `duplicate()`. */
  connection(name = 'default'): Redis {
    let client = this.connections.get(name)
    if (!client) {
      client = this.create(name)
      this.connections.set(name, client)
    }
    return client
  }

  /**
   * A new connection to the same server as `name`, for blocking commands (BLPOP) that would stall every
   * other command on a shared connection. Closed by `close()` unless the caller closes it first.
   */
  duplicate(name = 'default', overrides: Partial<ClientOptions> = {}): Redis {
    const client = this.create(name, overrides)
    this.duplicates.add(client)
    client.once('end', () => this.duplicates.delete(client))
    return client
  }

  /** "host:port db N" of a connection, for error messages (never the password). */
  describe(name = 'default'): string {
    return describeConnection(this.connectionConfig(name))
  }

  /** Closes every connection this manager opened. */
  async close(): Promise<void> {
    const open = [...this.connections.values(), ...this.duplicates]
    this.connections.clear()
    this.duplicates.clear()
    await Promise.all(open.map((client) => closeRedis(client)))
  }

  private create(name: string, overrides: Partial<ClientOptions> = {}): Redis {
    const config = this.connectionConfig(name)
    const options = { ...clientOptions(config, this.config), ...overrides }
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as IORedisModule
    const client = config.url ? new RedisClient(config.url, options) : new RedisClient(options)
    // Without a listener ioredis prints every failed reconnect; keep the latest for error messages.
    client.on('error', (error: Error) => lastErrors.set(client, error))
    client.on('ready', () => lastErrors.delete(client))
    return client
  }
}

const lastErrors = new WeakMap<Redis, Error>()

/** The most recent connection error of `client` since it was last ready (e.g. ECONNREFUSED). */
export function lastConnectionError(client: Redis): Error | undefined {
  return lastErrors.get(client)
}

/** Quits politely when connected, or drops the socket (and any reconnect loop) when not. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return
  if (client.status !== 'ready') {
    client.disconnect()
    return
  }
  try {
    await client.quit()
  } catch {
    client.disconnect()
  }
}

export function describeConnection(config: RedisConnectionConfig): string {
  if (config.url) {
    try {
      const url = new URL(config.url)
      return `${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? ` db ${url.pathname.slice(1)}` : ''}`
    } catch {
      return 'the configured REDIS_URL'
    }
  }
  return `${config.host}:${config.port}${config.db ? ` db ${config.db}` : ''}`
}

function clientOptions(config: RedisConnectionConfig, redis: RedisConfig): ClientOptions {
  const options = redis.options ?? {}
  return {
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    db: config.db ?? 0,
    tls: config.tls === true ? {} : config.tls || undefined,
    keyPrefix: config.keyPrefix ?? options.prefix ?? '',
    lazyConnect: true,
    // Commands issued while Redis is unreachable wait through a few reconnect attempts (so a restart
    // is ridden out), then fail with an error instead of hanging or being dropped.
    enableOfflineQueue: true,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 5,
    connectTimeout: options.connectTimeout ?? 5000,
    commandTimeout: options.commandTimeout ?? 10_000,
    // Reconnect soon after a drop (a restart takes well under a second), then every 200 ms. ioredis fails
    // waiting commands every maxRetriesPerRequest + 1 attempts, so in a long outage a command fails within
    // about 1.2 s (a request can answer 503 within 2 s), and once Redis is back the wait is 200 ms at most.
    retryStrategy: (times) => Math.min(times * 50, 200),
    // A server loading its AOF after a restart is polled as often (ioredis waits the whole load ETA, at
    // least 1 s): a producer must reconnect well within the workers' hold to withdraw in-doubt pushes.
    maxLoadingRetryTime: 200,
    // Closing a client that lost its server waits this long for a socket close that never comes (the
    // default 2 s held up the exit of every CLI command that failed on an unreachable Redis).
    disconnectTimeout: 100,
    // Detects a silently dead peer (cable pulled, VM frozen) on idle connections.
    keepAlive: 30_000,
    // After a failover the old primary answers READONLY: reconnect to reach the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  }
}

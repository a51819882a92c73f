import type { Application } from '../foundation/application.ts'
import type { QueueConfig, QueueConnectionConfig, QueueDriverName } from './config.ts'
import type { QueueDriver } from './contracts.ts'
import { configEntry, NamedInstances } from '../support/named-instances.ts'
import { UnknownQueueConnectionError, UnknownQueueDriverError } from './errors.ts'

type Connector<D extends QueueDriverName> = (name: string, config: Extract<QueueConnectionConfig, { driver: D }>, app: Application) => Promise<QueueDriver> | QueueDriver

/**
 * The connector table: one line per driver. Driver modules are imported only when a connection using
 * them is first opened, so their clients (knex, ioredis) stay unloaded until then.
 */
const connectors: { [D in QueueDriverName]: Connector<D> } = {
  sync: async (name, config, app) => (await import('./drivers/sync.ts')).createSyncQueue(name, config, app),
  database: async (name, config, app) => (await import('./drivers/database.ts')).createDatabaseQueue(name, config, app),
  redis: async (name, config, app) => (await import('./drivers/redis.ts')).createRedisQueue(name, config, app),
  null: async (name, config, app) => (await import('./drivers/null.ts')).createNullQueue(name, config, app),
}

/**
 * Queue connections by name (service `queue`), each built once by its driver's connector and cached,
 * like Laravel's QueueManager. Closing the manager closes every connection it opened.
 */
export class QueueManager {
  private readonly connections = new NamedInstances<Promise<QueueDriver>>((name) => this.opening(name))
  /** Each built driver by the promise that built it: opened() answers without awaiting. */
  private readonly built = new WeakMap<Promise<QueueDriver>, QueueDriver>()

  constructor(
    protected readonly config: QueueConfig,
    protected readonly app: Application,
  ) {}

  /** QUEUE_CONNECTION: the connection used when a job names none. */
  get defaultConnection(): string {
    return this.config.default
  }

  connectionNames(): string[] {
    return Object.keys(this.config.connections)
  }

  /** The config of a connection; throws E_UNKNOWN_QUEUE_CONNECTION listing the configured ones. */
  connectionConfig(name = this.defaultConnection): QueueConnectionConfig {
    const config = configEntry(this.config.connections, name)
    if (!config) throw new UnknownQueueConnectionError(name, this.connectionNames())
    return config
  }

  /** The queue a job lands on when it names none: the connection's `queue` setting, else "default". */
  defaultQueue(name = this.defaultConnection): string {
    const config = this.connectionConfig(name)
    return 'queue' in config && config.queue ? config.queue : 'default'
  }

  connection(name = this.defaultConnection): Promise<QueueDriver> {
    return this.connections.get(name)
  }

  /**
   * The driver of connection `name` once connection() has built it, else undefined: lets a dispatch skip
   * a promise step. A manager that overrides connection() (the fake) has none here, so callers fall back.
   */
  opened(name: string): QueueDriver | undefined {
    const opening = this.connections.peek(name)
    return opening && this.built.get(opening)
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.drain().map(async (pending) => (await pending.catch(() => undefined))?.close()))
  }

  private opening(name: string): Promise<QueueDriver> {
    const opening = this.open(name, this.connectionConfig(name))
    // A failed open is reported to whoever awaits connection(); NamedInstances forgets it.
    opening.then((driver) => this.built.set(opening, driver), () => undefined)
    return opening
  }

  protected async open(name: string, config: QueueConnectionConfig): Promise<QueueDriver> {
    const connector = Object.hasOwn(connectors, config.driver) ? (connectors[config.driver] as Connector<QueueDriverName>) : undefined
    if (!connector) throw new UnknownQueueDriverError(name, String(config.driver))
    return connector(name, config as never, this.app)
  }
}

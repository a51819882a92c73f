import type { Knex } from 'knex'
import type { Redis } from 'ioredis'
import type { CacheConfig, CacheStoreConfig } from './config.ts'
import type { CacheStore } from './contracts.ts'
import { DatabaseStore } from './database-store.ts'
import { UnknownCacheStoreError } from './errors.ts'
import { MemoryStore } from './memory-store.ts'
import { RedisStore } from './redis-store.ts'
import { configEntry, NamedInstances } from '../support/named-instances.ts'

/** Where stores get their connections; the provider wires these to the `db` and `redis` services. */
export interface CacheConnections {
  database(connection?: string): Promise<Knex>
  redis(connection: string): Redis
}

type StoreFactory<C extends CacheStoreConfig> = (name: string, config: C, connections: CacheConnections, prefix: string) => CacheStore

/** One entry per driver: a new store is a new file plus one line here. */
const factories: { [D in CacheStoreConfig['driver']]: StoreFactory<Extract<CacheStoreConfig, { driver: D }>> } = {
  memory: (name) => new MemoryStore(name),
  database: (name, config, connections, prefix) =>
    new DatabaseStore(name, () => connections.database(config.connection), { table: config.table, lockTable: config.lock_table ?? 'cache_locks', prefix }),
  redis: (name, config, connections, prefix) => new RedisStore(name, () => connections.redis(config.connection), config.prefix ?? prefix),
}

/**
 * Cache stores by name (Laravel's CacheManager), built on first use from config/cache.ts and cached.
 * Building a store opens no connection; the first operation does, through the db/redis managers.
 */
export class CacheManager {
  private readonly stores = new NamedInstances<CacheStore>((name) => this.build(name))

  constructor(
    private readonly config: CacheConfig,
    private readonly connections: CacheConnections,
  ) {}

  get defaultStore(): string {
    return this.config.default
  }

  storeNames(): string[] {
    return Object.keys(this.config.stores)
  }

  store(name = this.config.default): CacheStore {
    return this.stores.get(name)
  }

  /** Forgets a built store so the next `store(name)` builds it again (after a config change in tests). */
  purge(name = this.config.default): void {
    this.stores.forget(name)
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.drain().map((store) => store.close?.()))
  }

  private build(name: string): CacheStore {
    const config = configEntry(this.config.stores, name)
    if (!config) throw new UnknownCacheStoreError(name, this.storeNames())
    const factory = factories[config.driver] as StoreFactory<CacheStoreConfig>
    return factory(name, config, this.connections, this.config.prefix)
  }
}

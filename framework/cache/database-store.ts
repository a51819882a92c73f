import type { Knex } from 'knex'
import { BaseStore, decodeValue, encodeValue, isExpiredTtl } from './base-store.ts'
import { claimRow, dialectOf, expiresSql, FOREVER_SECONDS, incrementRow, nowSql } from './database-sql.ts'
import { CacheTableMissingError, NonNumericCacheValueError } from './errors.ts'
import { CacheLock } from './lock.ts'

export interface DatabaseStoreOptions {
  table: string
  lockTable: string
  prefix: string
}

/** Laravel's DatabaseLock uses a day when a lock is asked for without a duration; so a dead owner cannot hold it forever. */
const DEFAULT_LOCK_SECONDS = 86_400

/**
 * A store in Laravel's `cache` table (key, value, expiration) with locks in `cache_locks`, on any knex
 * connection. The knex connection is asked for on each operation (the db manager caches it), so building
 * the store opens nothing.
 */
export class DatabaseStore extends BaseStore {
  private readonly query: Query

  constructor(name: string, connection: () => Promise<Knex>, private readonly options: DatabaseStoreOptions) {
    super(name)
    this.query = queryRunner(connection, options)
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const row = await this.query(
      (db) =>
        db(this.options.table)
          .select('value', db.raw(`CASE WHEN ?? > ${nowSql(dialectOf(db))} THEN 1 ELSE 0 END AS ??`, ['expiration', 'live']))
          .where('key', this.prefixed(key))
          .first() as Promise<{ value: string; live: number | string } | undefined>,
    )
    if (!row) return undefined
    if (Number(row.live) === 1) return decodeValue<T>(row.value)
    // Expired rows are removed when read (as Laravel does), so keys nobody writes again do not pile up.
    await this.query((db) => db(this.options.table).where('key', this.prefixed(key)).andWhereRaw(`?? <= ${nowSql(dialectOf(db))}`, ['expiration']).delete())
    return undefined
  }

  async put(key: string, value: unknown, seconds?: number): Promise<void> {
    if (isExpiredTtl(seconds)) {
      await this.forget(key)
      return
    }
    await this.query(async (db) => {
      const expiration = db.raw(expiresSql(dialectOf(db)), [wholeSeconds(seconds)])
      await db(this.options.table)
        .insert({ key: this.prefixed(key), value: encodeValue(value), expiration })
        .onConflict('key')
        .merge(['value', 'expiration'])
    })
  }

  async add(key: string, value: unknown, seconds?: number): Promise<boolean> {
    if (isExpiredTtl(seconds)) return false
    return this.query((db) => claimRow(db, this.options.table, 'value', this.prefixed(key), encodeValue(value), wholeSeconds(seconds)))
  }

  async increment(key: string, by = 1, seconds?: number): Promise<number> {
    const stored = await this.query((db) => incrementRow(db, this.options.table, this.prefixed(key), by, wholeSeconds(seconds)))
    const value = decodeValue<unknown>(stored)
    if (typeof value !== 'number') throw new NonNumericCacheValueError(key)
    return value
  }

  async forget(key: string): Promise<boolean> {
    return (await this.query((db) => db(this.options.table).where('key', this.prefixed(key)).delete())) > 0
  }

  async flush(): Promise<void> {
    await this.query(async (db) => {
      await db(this.options.table).delete()
      await db(this.options.lockTable).delete()
    })
  }

  lock(name: string, seconds = 0, owner?: string): CacheLock {
    return new DatabaseLock(this.query, this.options.lockTable, this.prefixed(name), seconds, owner)
  }

  private prefixed(key: string): string {
    return this.options.prefix + key
  }
}

class DatabaseLock extends CacheLock {
  constructor(
    private readonly query: Query,
    private readonly table: string,
    name: string,
    seconds: number,
    owner?: string,
  ) {
    super(name, seconds, owner)
  }

  protected acquire(): Promise<boolean> {
    const seconds = this.seconds > 0 ? Math.ceil(this.seconds) : DEFAULT_LOCK_SECONDS
    return this.query((db) => claimRow(db, this.table, 'owner', this.name, this.owner, seconds))
  }

  async release(): Promise<boolean> {
    return (await this.query((db) => db(this.table).where({ key: this.name, owner: this.owner }).delete())) > 0
  }

  async forceRelease(): Promise<void> {
    await this.query((db) => db(this.table).where('key', this.name).delete())
  }

  async currentOwner(): Promise<string | undefined> {
    const row = await this.query(
      (db) =>
        db(this.table)
          .select('owner')
          .where('key', this.name)
          .andWhereRaw(`?? > ${nowSql(dialectOf(db))}`, ['expiration'])
          .first() as Promise<{ owner: string } | undefined>,
    )
    return row?.owner
  }
}

type Query = <T>(run: (db: Knex) => Promise<T>) => Promise<T>

/**
 * Runs a query on the store's connection. A missing table (the cache migration never ran) becomes
 * E_CACHE_TABLE_MISSING, which says what to run, instead of the driver's message.
 */
function queryRunner(connection: () => Promise<Knex>, options: DatabaseStoreOptions): Query {
  return async (run) => {
    try {
      return await run(await connection())
    } catch (error) {
      if (isMissingTable(error)) throw new CacheTableMissingError(options.table, options.lockTable, error)
      throw error
    }
  }
}

function isMissingTable(error: unknown): boolean {
  const { code, errno, message } = (error ?? {}) as { code?: string; errno?: number; message?: string }
  return code === '42P01' || errno === 1146 || /no such table/i.test(message ?? '')
}

function wholeSeconds(seconds: number | undefined): number {
  return seconds === undefined ? FOREVER_SECONDS : Math.ceil(seconds)
}

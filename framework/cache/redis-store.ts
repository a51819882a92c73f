import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { BaseStore, decodeValue, encodeValue, isExpiredTtl } from './base-store.ts'
import { NonNumericCacheValueError } from './errors.ts'
import { CacheLock } from './lock.ts'

/** The only caller of the cache's Lua scripts; argument order lives here. */
const RELEASE_LOCK = 'kilnCacheReleaseLock'
let releaseLockScript: string | undefined

type ScriptedRedis = Redis & { [RELEASE_LOCK]?: (key: string, owner: string) => Promise<number> }

/**
 * A store in Redis. Keys are `<prefix><key>`, values JSON (a number's JSON is its digits, so INCRBY works
 * on them). Expiry is Redis's own (PX), add is SET NX, locks are SET NX PX with an owner token and a Lua
 * release that checks the owner. The connection is asked for per operation, so building the store opens
 * nothing; the redis manager owns and closes it.
 */
export class RedisStore extends BaseStore {
  constructor(
    name: string,
    private readonly connection: () => Redis,
    private readonly prefix: string,
  ) {
    super(name)
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return decodeValue<T>(await this.connection().get(this.prefix + key))
  }

  async put(key: string, value: unknown, seconds?: number): Promise<void> {
    if (isExpiredTtl(seconds)) {
      await this.forget(key)
      return
    }
    const redis = this.connection()
    if (seconds === undefined) await redis.set(this.prefix + key, encodeValue(value))
    else await redis.set(this.prefix + key, encodeValue(value), 'PX', milliseconds(seconds))
  }

  async add(key: string, value: unknown, seconds?: number): Promise<boolean> {
    if (isExpiredTtl(seconds)) return false
    const redis = this.connection()
    const result =
      seconds === undefined
        ? await redis.set(this.prefix + key, encodeValue(value), 'NX')
        : await redis.set(this.prefix + key, encodeValue(value), 'PX', milliseconds(seconds), 'NX')
    return result === 'OK'
  }

  async increment(key: string, by = 1, seconds?: number): Promise<number> {
    const full = this.prefix + key
    try {
      return await incrementBy(this.connection(), full, by, seconds, Number.isInteger(by))
    } catch (error) {
      // A stored float ("1.5") refuses INCRBY; INCRBYFLOAT handles it. Anything else is not a number.
      if (Number.isInteger(by) && /not an integer/i.test(String(error))) {
        return incrementBy(this.connection(), full, by, seconds, false).catch((retryError: unknown) => {
          throw /not a valid float/i.test(String(retryError)) ? new NonNumericCacheValueError(key) : retryError
        })
      }
      if (/not a valid float/i.test(String(error))) throw new NonNumericCacheValueError(key)
      throw error
    }
  }

  async forget(key: string): Promise<boolean> {
    return (await this.connection().del(this.prefix + key)) > 0
  }

  /** Deletes every key under this store's prefix (values and locks), never the rest of the database. */
  async flush(): Promise<void> {
    const redis = this.connection()
    // SCAN patterns and results carry ioredis's own keyPrefix, which DEL would add a second time.
    const clientPrefix = redis.options.keyPrefix ?? ''
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(clientPrefix + this.prefix)}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(clientPrefix.length)))
    } while (cursor !== '0')
  }

  lock(name: string, seconds = 0, owner?: string): CacheLock {
    return new RedisLock(this.connection, `${this.prefix}lock:${name}`, seconds, owner)
  }
}

class RedisLock extends CacheLock {
  constructor(
    private readonly connection: () => Redis,
    private readonly key: string,
    seconds: number,
    owner?: string,
  ) {
    super(key, seconds, owner)
  }

  protected async acquire(): Promise<boolean> {
    const redis = this.connection()
    const result = this.seconds > 0 ? await redis.set(this.key, this.owner, 'PX', milliseconds(this.seconds), 'NX') : await redis.set(this.key, this.owner, 'NX')
    return result === 'OK'
  }

  async release(): Promise<boolean> {
    return (await releaseLock(this.connection())(this.key, this.owner)) === 1
  }

  async forceRelease(): Promise<void> {
    await this.connection().del(this.key)
  }

  async currentOwner(): Promise<string | undefined> {
    return (await this.connection().get(this.key)) ?? undefined
  }
}

/** The owner-checked release, defined once per connection (EVALSHA with a fallback to EVAL). */
function releaseLock(redis: ScriptedRedis): (key: string, owner: string) => Promise<number> {
  if (!redis[RELEASE_LOCK]) {
    releaseLockScript ??= readFileSync(new URL('./lua/release-lock-1.lua', import.meta.url), 'utf8')
    redis.defineCommand(RELEASE_LOCK, { numberOfKeys: 1, lua: releaseLockScript })
  }
  const command = redis[RELEASE_LOCK]
  if (!command) throw new Error('ioredis did not define the lock release command')
  return command.bind(redis)
}

/** INCRBY, preceded in one MULTI by a SET NX PX that gives a newly created key its TTL. */
async function incrementBy(redis: Redis, key: string, by: number, seconds: number | undefined, integer: boolean): Promise<number> {
  if (seconds === undefined) return integer ? redis.incrby(key, by) : Number(await redis.incrbyfloat(key, by))
  const transaction = redis.multi().set(key, '0', 'PX', milliseconds(seconds), 'NX')
  const results = await (integer ? transaction.incrby(key, by) : transaction.incrbyfloat(key, by)).exec()
  const [error, value] = results?.[1] ?? [new Error('Redis discarded the increment transaction'), null]
  if (error) throw error
  return Number(value)
}

function milliseconds(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000))
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

/**
 * What every cache store offers. Values are anything JSON can carry; `seconds` is a time to live
 * (undefined = forever). Operations that decide between processes (`add`, `increment`, locks) are atomic
 * in the backing server, so they hold across workers and machines.
 */
export interface CacheStore {
  /** The configured store name (`memory`, `database`, `redis`, or your own). */
  readonly name: string

  /** The value, or undefined when missing or expired. */
  get<T = unknown>(key: string): Promise<T | undefined>
  has(key: string): Promise<boolean>
  /** Stores a value; `seconds <= 0` forgets the key, as in Laravel. */
  put(key: string, value: unknown, seconds?: number): Promise<void>
  forever(key: string, value: unknown): Promise<void>
  /** Stores only when the key is missing (or expired); true when this call stored it. Atomic. */
  add(key: string, value: unknown, seconds?: number): Promise<boolean>
  /**
   * Adds `by` (default 1) and returns the new value. A missing (or expired) key starts at 0 and expires
   * after `seconds` (never when omitted); an existing key keeps its expiry. Atomic, creation included.
   * Throws E_CACHE_NOT_NUMERIC for a non-numeric value.
   */
  increment(key: string, by?: number, seconds?: number): Promise<number>
  decrement(key: string, by?: number): Promise<number>
  /** True when the key existed. */
  forget(key: string): Promise<boolean>
  /** Removes this store's keys (only those under its prefix on Redis). */
  flush(): Promise<void>
  /** The value, computing and storing it when missing. */
  remember<T>(key: string, seconds: number | undefined, compute: () => T | Promise<T>): Promise<T>
  /** The value, forgetting the key. */
  pull<T = unknown>(key: string): Promise<T | undefined>

  /** An atomic lock named `name` held for `seconds` (0 = until released) by `owner` (random if omitted). */
  lock(name: string, seconds?: number, owner?: string): Lock
  /** A handle on a lock some other process acquired, given its owner (to release it from there). */
  restoreLock(name: string, owner: string): Lock

  /** Frees what the store itself opened (connections are owned by the db/redis managers). */
  close?(): Promise<void>
}

/** An owned, expiring lock (Laravel's `Cache::lock`). */
export interface Lock {
  readonly name: string
  readonly owner: string
  readonly seconds: number

  /** Tries once; true when acquired. */
  get(): Promise<boolean>
  /** Tries once; when acquired runs `callback`, releases, and returns its result; false otherwise. */
  get<T>(callback: () => T | Promise<T>): Promise<T | false>
  /** Retries every 250 ms for up to `seconds`; throws E_LOCK_TIMEOUT when it never gets it. */
  block(seconds: number): Promise<true>
  block<T>(seconds: number, callback: () => T | Promise<T>): Promise<T>
  /** Releases only when this owner holds it; true when it did. */
  release(): Promise<boolean>
  /** Releases whoever holds it. */
  forceRelease(): Promise<void>
  /** The owner currently holding the lock, if any. */
  currentOwner(): Promise<string | undefined>
  isOwnedByCurrentProcess(): Promise<boolean>
}

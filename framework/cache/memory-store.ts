import { BaseStore, isExpiredTtl } from './base-store.ts'
import { CacheLock } from './lock.ts'
import { NonNumericCacheValueError } from './errors.ts'

interface Entry {
  /** Kept JSON-encoded so a cached object cannot be mutated through a reference (as in other stores). */
  value: string
  /** Epoch milliseconds; undefined = forever. */
  expiresAt: number | undefined
}

/**
 * A store in this process's memory (Laravel's `array` store). Every operation runs without awaiting in
 * between, so add/increment/locks are atomic within the process; nothing is shared with other processes.
 */
export class MemoryStore extends BaseStore {
  private readonly entries = new Map<string, Entry>()
  private readonly locks = new Map<string, Entry>()

  constructor(name = 'memory') {
    super(name)
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const entry = live(this.entries, key)
    return entry ? (JSON.parse(entry.value) as T) : undefined
  }

  async put(key: string, value: unknown, seconds?: number): Promise<void> {
    if (isExpiredTtl(seconds)) {
      this.entries.delete(key)
      return
    }
    this.entries.set(key, { value: JSON.stringify(value ?? null), expiresAt: expiresAt(seconds) })
  }

  async add(key: string, value: unknown, seconds?: number): Promise<boolean> {
    if (live(this.entries, key)) return false
    await this.put(key, value, seconds)
    return true
  }

  async increment(key: string, by = 1, seconds?: number): Promise<number> {
    const entry = live(this.entries, key)
    const current = entry ? (JSON.parse(entry.value) as unknown) : 0
    if (typeof current !== 'number') throw new NonNumericCacheValueError(key)
    const next = current + by
    this.entries.set(key, { value: JSON.stringify(next), expiresAt: entry ? entry.expiresAt : expiresAt(seconds) })
    return next
  }

  async forget(key: string): Promise<boolean> {
    return live(this.entries, key) !== undefined && this.entries.delete(key)
  }

  async flush(): Promise<void> {
    this.entries.clear()
    this.locks.clear()
  }

  lock(name: string, seconds = 0, owner?: string): CacheLock {
    return new MemoryLock(this.locks, name, seconds, owner)
  }
}

class MemoryLock extends CacheLock {
  constructor(
    private readonly locks: Map<string, Entry>,
    name: string,
    seconds: number,
    owner?: string,
  ) {
    super(name, seconds, owner)
  }

  protected async acquire(): Promise<boolean> {
    // Not re-entrant, like Redis SET NX: a second get() by the same owner fails too.
    if (live(this.locks, this.name)) return false
    this.locks.set(this.name, { value: this.owner, expiresAt: expiresAt(this.seconds || undefined) })
    return true
  }

  async release(): Promise<boolean> {
    if (live(this.locks, this.name)?.value !== this.owner) return false
    return this.locks.delete(this.name)
  }

  async forceRelease(): Promise<void> {
    this.locks.delete(this.name)
  }

  async currentOwner(): Promise<string | undefined> {
    return live(this.locks, this.name)?.value
  }
}

function expiresAt(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Date.now() + seconds * 1000
}

/** The entry when present and not expired; expired entries are dropped on the way. */
function live(map: Map<string, Entry>, key: string): Entry | undefined {
  const entry = map.get(key)
  if (!entry) return undefined
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    map.delete(key)
    return undefined
  }
  return entry
}

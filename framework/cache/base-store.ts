import type { CacheStore, Lock } from './contracts.ts'

/** The parts of a store that are the same everywhere, written once in terms of the primitive operations. */
export abstract class BaseStore implements CacheStore {
  constructor(readonly name: string) {}

  abstract get<T = unknown>(key: string): Promise<T | undefined>
  abstract put(key: string, value: unknown, seconds?: number): Promise<void>
  abstract add(key: string, value: unknown, seconds?: number): Promise<boolean>
  abstract increment(key: string, by?: number, seconds?: number): Promise<number>
  abstract forget(key: string): Promise<boolean>
  abstract flush(): Promise<void>
  abstract lock(name: string, seconds?: number, owner?: string): Lock

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  forever(key: string, value: unknown): Promise<void> {
    return this.put(key, value)
  }

  decrement(key: string, by = 1): Promise<number> {
    return this.increment(key, -by)
  }

  async remember<T>(key: string, seconds: number | undefined, compute: () => T | Promise<T>): Promise<T> {
    const cached = await this.get<T>(key)
    if (cached !== undefined) return cached
    const value = await compute()
    await this.put(key, value, seconds)
    return value
  }

  async pull<T = unknown>(key: string): Promise<T | undefined> {
    const value = await this.get<T>(key)
    await this.forget(key)
    return value
  }

  restoreLock(name: string, owner: string): Lock {
    return this.lock(name, 0, owner)
  }
}

/** Values travel as JSON so every store (and every language reading the table) sees the same text. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value)
}

export function decodeValue<T>(raw: string | null | undefined): T | undefined {
  if (raw === null || raw === undefined) return undefined
  return JSON.parse(raw) as T
}

/** A positive TTL in seconds, or undefined for "forever". Laravel treats `seconds <= 0` on put as forget. */
export function isExpiredTtl(seconds: number | undefined): boolean {
  return seconds !== undefined && seconds <= 0
}

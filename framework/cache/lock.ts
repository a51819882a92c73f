import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Lock } from './contracts.ts'
import { LockTimeoutError } from './errors.ts'

/**
 * The shared behaviour of atomic locks. A store supplies the three server operations (acquire, release by
 * owner, force release, read owner); waiting, callbacks and ownership checks live here once.
 */
export abstract class CacheLock implements Lock {
  /** How long `block()` sleeps between attempts (Laravel's default). */
  sleepMilliseconds = 250
  readonly owner: string

  constructor(
    readonly name: string,
    readonly seconds: number,
    owner?: string,
  ) {
    this.owner = owner ?? randomBytes(12).toString('base64url')
  }

  /** One atomic attempt in the server. */
  protected abstract acquire(): Promise<boolean>
  abstract release(): Promise<boolean>
  abstract forceRelease(): Promise<void>
  abstract currentOwner(): Promise<string | undefined>

  get(): Promise<boolean>
  get<T>(callback: () => T | Promise<T>): Promise<T | false>
  async get<T>(callback?: () => T | Promise<T>): Promise<boolean | T> {
    const acquired = await this.acquire()
    if (!acquired || !callback) return acquired
    return this.runAndRelease(callback)
  }

  block(seconds: number): Promise<true>
  block<T>(seconds: number, callback: () => T | Promise<T>): Promise<T>
  async block<T>(seconds: number, callback?: () => T | Promise<T>): Promise<true | T> {
    const deadline = Date.now() + seconds * 1000
    while (!(await this.acquire())) {
      if (Date.now() + this.sleepMilliseconds > deadline) throw new LockTimeoutError(this.name, seconds)
      await sleep(this.sleepMilliseconds)
    }
    return callback ? this.runAndRelease(callback) : true
  }

  async isOwnedByCurrentProcess(): Promise<boolean> {
    return (await this.currentOwner()) === this.owner
  }

  private async runAndRelease<T>(callback: () => T | Promise<T>): Promise<T> {
    try {
      return await callback()
    } finally {
      await this.release()
    }
  }
}

import type { Application } from '../../foundation/application.ts'
import { isKilnError } from '../../support/errors.ts'
import { RestartSignalUnavailableError } from './errors.ts'
import { cacheStore } from './exception-counter.ts'

/** The cache key `queue:restart` writes and every worker, on every machine sharing the store, reads. */
export const RESTART_CACHE_KEY = 'kiln:queue:restart'

/** How often a worker asks the cache for the restart time: cheap for the store, prompt enough for a deploy. */
const CHECK_EVERY_MS = 3000

/**
 * Records "restart now" (ms since the epoch) in the default cache store, for `queue:restart`. Returns
 * the store's name and whether other processes can see it (a memory store lives in one process only).
 */
export async function requestRestart(app: Application, now = Date.now()): Promise<{ store: string; shared: boolean }> {
  const cache = app.make('cache')
  const store = cache.store()
  try {
    await store.forever(RESTART_CACHE_KEY, now)
  } catch (error) {
    // The cache's own errors already say what to do (E_CACHE_TABLE_MISSING and the like).
    throw isKilnError(error) ? error : new RestartSignalUnavailableError(store.name, error)
  }
  return { store: store.name, shared: app.config('cache').stores[store.name]?.driver !== 'memory' }
}

/**
 * Reads the restart signal for the worker, at most every few seconds. Without a cache service restarts are off
 * (the worker still stops on signals and limits); a failing read is reported once and retried later.
 */
export class RestartSignal {
  private lastCheck = -Infinity
  private value: number | null = null
  private reported = false

  constructor(
    private readonly app: Application,
    private readonly onError?: (error: unknown) => void | Promise<void>,
  ) {}

  /** What current(now) would answer without reading the store, or undefined when a read is due: no promise per check. */
  cached(now: number): number | null | undefined {
    return now - this.lastCheck < CHECK_EVERY_MS ? this.value : undefined
  }

  /** The signal's value (null when never given); read from the store at most every few seconds unless `fresh`. */
  async current(now = Date.now(), fresh = false): Promise<number | null> {
    if (!fresh && now - this.lastCheck < CHECK_EVERY_MS) return this.value
    this.lastCheck = now
    const store = cacheStore(this.app)
    if (!store) return null
    try {
      const stored = await store.get(RESTART_CACHE_KEY)
      this.value = typeof stored === 'number' ? stored : null
    } catch (error) {
      if (!this.reported) await this.onError?.(isKilnError(error) ? error : new RestartSignalUnavailableError(store.name, error, true))
      this.reported = true
    }
    return this.value
  }
}

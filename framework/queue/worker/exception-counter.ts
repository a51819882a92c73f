import type { CacheStore } from '../../cache/contracts.ts'
import type { Application } from '../../foundation/application.ts'

/**
 * Counts the errors a job has thrown across attempts, for `maxExceptions`. Attempts may run on different
 * workers and machines, so the count lives in the cache store (Laravel keeps it there too), keyed by the
 * job's uuid. Without a usable cache it falls back to this application's memory (right for one worker).
 */
export interface ExceptionCounter {
  increment(uuid: string): Promise<number>
  forget(uuid: string): Promise<void>
}

export function exceptionCounter(app: Application): ExceptionCounter {
  const memory = memoryCounts(app)
  return {
    async increment(uuid) {
      const store = cacheStore(app)
      if (store) {
        try {
          // Expire a day after the first error (Laravel does the same), so abandoned counters go away.
          await store.add(key(uuid), 0, COUNTER_TTL_SECONDS)
          return await store.increment(key(uuid))
        } catch {
          // An unreachable or unmigrated cache must not fail the job; count locally instead.
        }
      }
      const next = (memory.get(uuid) ?? 0) + 1
      memory.set(uuid, next)
      return next
    },
    async forget(uuid) {
      memory.delete(uuid)
      await cacheStore(app)
        ?.forget(key(uuid))
        .catch(() => undefined)
    },
  }
}

/** The default cache store, or null when the cache module is not configured. */
export function cacheStore(app: Application): CacheStore | null {
  try {
    return app.make('cache').store()
  } catch {
    return null
  }
}

const COUNTER_TTL_SECONDS = 86_400

function key(uuid: string): string {
  return `kiln:job-exceptions:${uuid}`
}

const fallback = new WeakMap<Application, Map<string, number>>()

function memoryCounts(app: Application): Map<string, number> {
  let counts = fallback.get(app)
  if (!counts) fallback.set(app, (counts = new Map()))
  return counts
}

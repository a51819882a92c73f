import type { ServiceProvider } from '../foundation/provider.ts'
import { CacheManager } from './cache-manager.ts'
import { RateLimiter } from './rate-limiter.ts'

declare module '../foundation/services.ts' {
  interface Services {
    cache: CacheManager
    /** Counts in the store named by `cache.limiter` (the default store when unset). */
    rateLimiter: RateLimiter
  }
}

/** The db and redis services own the connections; the cache only borrows them, so closing it closes none. */
export const cacheProvider: ServiceProvider = {
  register(app) {
    app.singleton(
      'cache',
      () =>
        new CacheManager(app.config('cache'), {
          database: (connection) => app.make('db').connection(connection),
          redis: (connection) => app.make('redis').connection(connection),
        }),
      (cache) => cache.close(),
    )
    app.singleton('rateLimiter', () => new RateLimiter(app.make('cache').store(app.config('cache').limiter)))
  },
}

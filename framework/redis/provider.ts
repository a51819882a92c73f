import type { ServiceProvider } from '../foundation/provider.ts'
import { RedisManager } from './redis-manager.ts'

declare module '../foundation/services.ts' {
  interface Services {
    redis: RedisManager
  }
}

export const redisProvider: ServiceProvider = {
  register(app) {
    app.singleton('redis', () => new RedisManager(app.config('redis')), (redis) => redis.close())
  },
}

import { afterEach, describe, expect, it } from 'vitest'
import { CacheManager } from '../../framework/cache/cache-manager.ts'
import { MemoryStore } from '../../framework/cache/memory-store.ts'
import { Limit, RateLimiter } from '../../framework/cache/rate-limiter.ts'
import { rateLimiters } from '../../framework/cache/rate-limiter-registry.ts'
import { cacheStoreSuite } from './cache-store-suite.ts'

cacheStoreSuite('memory', async () => {
  const store = new MemoryStore()
  return { first: store, second: store, close: async () => {} }
})

describe('CacheManager', () => {
  const connections = {
    database: () => Promise.reject(new Error('not used')),
    redis: () => {
      throw new Error('not used')
    },
  }
  const manager = new CacheManager({ default: 'memory', stores: { memory: { driver: 'memory' }, other: { driver: 'memory' } }, prefix: '' }, connections)

  it('builds each store once, lazily', () => {
    expect(manager.store()).toBe(manager.store('memory'))
    expect(manager.store('other')).not.toBe(manager.store('memory'))
  })

  it('refuses an unknown store, naming the configured ones', () => {
    expect(() => manager.store('nope')).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_CACHE_STORE', message: expect.stringContaining('memory, other') }))
  })

  it('treats inherited names (constructor, __proto__) as unknown stores', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(() => manager.store(name)).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_CACHE_STORE' }))
    }
  })
})

describe('RateLimiter.for', () => {
  afterEach(() => rateLimiters.clear())

  it('defines named limiters in the registry the app fills at boot', async () => {
    RateLimiter.for('uploads', (user: { id: number; vip: boolean }) => (user.vip ? Limit.none() : [Limit.perSecond(1).by(user.id), Limit.perDay(100).by(user.id)]))
    const limiter = new RateLimiter(new MemoryStore())
    expect(await limiter.limits('uploads', { id: 1, vip: false })).toEqual([new Limit(1, 1, '1'), new Limit(100, 86_400, '1')])
    expect((await limiter.consumeFor('uploads', { id: 1, vip: false })).allowed).toBe(true)
    expect((await limiter.consumeFor('uploads', { id: 1, vip: false })).allowed).toBe(false)
    for (let i = 0; i < 5; i++) expect((await limiter.consumeFor('uploads', { id: 1, vip: true })).allowed).toBe(true)
  })
})

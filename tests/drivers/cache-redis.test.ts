/**
 * The redis cache store on a real Redis, through the `redis` service: two Applications (two connections,
 * as two worker processes would have) sharing a key prefix unique to this run, removed afterwards.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { probeService, SERVICES } from '../support/services.ts'
import { cacheStoreSuite } from './cache-store-suite.ts'

const redisUp = await probeService('redis')
const basePath = mkdtempSync(join(tmpdir(), 'kiln-cache-'))
// The connection's own keyPrefix plus the cache prefix: flush must cope with both.
const clientPrefix = `kiln_test_${randomBytes(4).toString('hex')}:`

async function openApp(): Promise<Application> {
  return Application.create({
    basePath,
    loadEnv: false,
    config: {
      redis: { connections: { cache: { host: SERVICES.redis.host, port: SERVICES.redis.port, db: 0, keyPrefix: clientPrefix } } },
      cache: { default: 'redis', stores: { redis: { driver: 'redis', connection: 'cache' } }, prefix: 'cache_' },
    },
  })
}

afterAll(() => rmSync(basePath, { recursive: true, force: true }))

if (redisUp) {
  cacheStoreSuite('redis', async () => {
    const apps = [await openApp(), await openApp()]
    return {
      first: apps[0]!.make('cache').store(),
      second: apps[1]!.make('cache').store(),
      close: async () => {
        for (const app of apps) await app.shutdown()
      },
    }
  })

  describe('redis cache store specifics', () => {
    let app: Application
    beforeAll(async () => {
      app = await openApp()
    })
    afterAll(async () => {
      const redis = app.make('redis').connection('cache')
      await redis.del('not-cache')
      await app.make('cache').store().flush()
      await app.shutdown()
    })

    it('flushes only keys under its prefix', async () => {
      const redis = app.make('redis').connection('cache')
      await redis.set('not-cache', 'keep')
      const store = app.make('cache').store()
      await store.put('a', 1)
      await store.lock('l', 60).get()
      expect(await redis.keys(`${clientPrefix}cache_*`)).toHaveLength(2)
      await store.flush()
      expect(await redis.get('not-cache')).toBe('keep')
      expect(await redis.keys(`${clientPrefix}cache_*`)).toEqual([])
    })

    it('stores numbers so that Redis can count them, with Redis expiry', async () => {
      const redis = app.make('redis').connection('cache')
      const store = app.make('cache').store()
      await store.put('count', 41, 30)
      expect(await redis.incr('cache_count')).toBe(42)
      expect(await store.get('count')).toBe(42)
      const ttl = await redis.pttl('cache_count')
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(30_000)
    })
  })
} else {
  it.skip('redis cache store (Redis is not reachable)', () => {})
}

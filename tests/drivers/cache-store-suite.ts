/**
 * The behaviour every cache store must show, run by each store's test file against its real server.
 * `open()` gives two handles on the same store through separate connections (two "processes"); the
 * memory store passes the same instance twice, since it is per process by design.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CacheStore } from '../../framework/cache/contracts.ts'
import { Limit, RateLimiter } from '../../framework/cache/rate-limiter.ts'
import { RateLimiterRegistry } from '../../framework/cache/rate-limiter-registry.ts'

export interface StoreHandles {
  first: CacheStore
  second: CacheStore
  close(): Promise<void>
}

/** Longer than the longest TTL used below (1 s), with room for whole-second rounding in SQL stores. */
const AFTER_EXPIRY_MS = 2_200

export function cacheStoreSuite(label: string, open: () => Promise<StoreHandles>): void {
  describe(`cache store: ${label}`, () => {
    let handles: StoreHandles
    let a: CacheStore
    let b: CacheStore

    beforeAll(async () => {
      handles = await open()
      a = handles.first
      b = handles.second
    })
    afterAll(async () => {
      await handles?.first.flush()
      await handles?.close()
    })
    beforeEach(async () => {
      await a.flush()
    })

    it('stores, reads and forgets JSON values', async () => {
      const order = { id: 7, items: ['a', 'b'], paid: true, note: null }
      await a.put('order', order, 60)
      expect(await b.get('order')).toEqual(order)
      expect(await a.get('missing')).toBeUndefined()
      expect(await a.has('order')).toBe(true)
      expect(await a.forget('order')).toBe(true)
      expect(await b.get('order')).toBeUndefined()
      expect(await a.forget('order')).toBe(false)
      await a.forever('forever', 'yes')
      expect(await b.get('forever')).toBe('yes')
      await a.put('forever', 'gone', 0)
      expect(await b.has('forever')).toBe(false)
    })

    it('remembers and pulls', async () => {
      let computed = 0
      const compute = () => ++computed
      expect(await a.remember('r', 60, compute)).toBe(1)
      expect(await b.remember('r', 60, compute)).toBe(1)
      expect(computed).toBe(1)
      expect(await a.pull('r')).toBe(1)
      expect(await b.has('r')).toBe(false)
    })

    it('adds only when the key is missing', async () => {
      expect(await a.add('k', 'first', 60)).toBe(true)
      expect(await b.add('k', 'second', 60)).toBe(false)
      expect(await a.get('k')).toBe('first')
    })

    it('lets exactly one of 20 concurrent adds win', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).add('race', i, 60)))
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await a.get('race')).toBe(results.indexOf(true))
    })

    it('increments and decrements', async () => {
      expect(await a.increment('n')).toBe(1)
      expect(await b.increment('n', 5)).toBe(6)
      expect(await a.decrement('n', 2)).toBe(4)
      expect(await b.get('n')).toBe(4)
      await a.put('f', 1.5, 60)
      expect(await a.increment('f')).toBe(2.5)
      await a.put('text', 'abc', 60)
      await expect(a.increment('text')).rejects.toMatchObject({ code: 'E_CACHE_NOT_NUMERIC' })
      expect(await a.get('text')).toBe('abc')
    })

    it('counts every one of 40 concurrent increments', async () => {
      const values = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).increment('hits')))
      expect(values.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      expect(await a.get('hits')).toBe(40)
    })

    it('expires values, and lets add and increment start over after expiry', async () => {
      await a.put('short', 'v', 1)
      await a.add('added', 'v', 1)
      await a.put('counter', 10, 1)
      expect(await a.increment('counter')).toBe(11)
      expect(await b.increment('created', 3, 1)).toBe(3)
      expect(await a.increment('created', 1, 60)).toBe(4)
      await a.put('long', 'v', 60)
      expect(await b.get('short')).toBe('v')
      await sleep(AFTER_EXPIRY_MS)
      expect(await b.get('short')).toBeUndefined()
      expect(await b.get('counter')).toBeUndefined()
      expect(await b.get('created')).toBeUndefined()
      expect(await b.get('long')).toBe('v')
      expect(await b.add('added', 'again', 60)).toBe(true)
      expect(await a.increment('counter')).toBe(1)
    })

    it('flushes its keys', async () => {
      await a.put('x', 1)
      await a.lock('held', 60).get()
      await b.flush()
      expect(await a.has('x')).toBe(false)
      expect(await a.lock('held', 60).get()).toBe(true)
    })

    describe('locks', () => {
      it('are exclusive and released only by their owner', async () => {
        const mine = a.lock('report', 60)
        const theirs = b.lock('report', 60)
        expect(await mine.get()).toBe(true)
        expect(await theirs.get()).toBe(false)
        expect(await theirs.release()).toBe(false)
        expect(await mine.isOwnedByCurrentProcess()).toBe(true)
        expect(await theirs.currentOwner()).toBe(mine.owner)
        expect(await mine.release()).toBe(true)
        expect(await theirs.get()).toBe(true)
        await theirs.forceRelease()
        expect(await theirs.currentOwner()).toBeUndefined()
      })

      it('can be released from elsewhere with the owner token', async () => {
        const lock = a.lock('handoff', 60)
        expect(await lock.get()).toBe(true)
        expect(await b.restoreLock('handoff', 'someone-else').release()).toBe(false)
        expect(await b.restoreLock('handoff', lock.owner).release()).toBe(true)
        expect(await a.lock('handoff', 60).get()).toBe(true)
      })

      it('go to exactly one of 20 concurrent contenders', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).lock('single', 60).get()))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('run a callback and release afterwards', async () => {
        expect(await a.lock('cb', 60).get(() => 'done')).toBe('done')
        expect(await b.lock('cb', 60).get(() => 'again')).toBe('again')
        const held = a.lock('cb', 60)
        await held.get()
        expect(await b.lock('cb', 60).get(() => 'never')).toBe(false)
      })

      it('block until the holder releases, or time out', async () => {
        const holder = a.lock('queue', 0)
        expect(await holder.get()).toBe(true)
        await expect(b.lock('queue', 10).block(0.6)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT' })
        const released = sleep(400).then(() => holder.release())
        expect(await b.lock('queue', 10).block(5, () => 'got it')).toBe('got it')
        expect(await released).toBe(true)
      })

      it('expire, freeing them for others', async () => {
        const holder = a.lock('expiring', 1)
        expect(await holder.get()).toBe(true)
        expect(await b.lock('expiring', 1).get()).toBe(false)
        await sleep(AFTER_EXPIRY_MS)
        const next = b.lock('expiring', 60)
        expect(await next.get()).toBe(true)
        // The first owner's late release must not free the new owner's lock.
        expect(await holder.release()).toBe(false)
        expect(await next.isOwnedByCurrentProcess()).toBe(true)
      })
    })

    describe('RateLimiter', () => {
      it('holds a limit exactly across two connections', async () => {
        const limiters = [new RateLimiter(a), new RateLimiter(b)]
        let ran = 0
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => limiters[i % 2]!.attempt('send-mail', 10, () => void ran++, 60)),
        )
        expect(ran).toBe(10)
        expect(results.filter((result) => result === true)).toHaveLength(10)
        expect(await limiters[0]!.tooManyAttempts('send-mail', 10)).toBe(true)
        expect(await limiters[1]!.remaining('send-mail', 10)).toBe(0)
        const wait = await limiters[1]!.availableIn('send-mail')
        expect(wait).toBeGreaterThan(0)
        expect(wait).toBeLessThanOrEqual(60)
        await limiters[0]!.clear('send-mail')
        expect(await limiters[1]!.tooManyAttempts('send-mail', 10)).toBe(false)
        expect(await limiters[1]!.attempt('send-mail', 10, () => 'sent')).toBe('sent')
      })

      it('opens the window again after the decay', async () => {
        const limiter = new RateLimiter(a)
        expect(await limiter.hit('burst', 1)).toBe(1)
        expect(await new RateLimiter(b).hit('burst', 1)).toBe(2)
        expect(await limiter.tooManyAttempts('burst', 2)).toBe(true)
        await sleep(AFTER_EXPIRY_MS)
        expect(await limiter.tooManyAttempts('burst', 2)).toBe(false)
        expect(await limiter.availableIn('burst')).toBe(0)
      })

      it('applies named limiters per key', async () => {
        const registry = new RateLimiterRegistry()
        registry.define('emails', (job: { userId: number }) => Limit.perMinute(3).by(job.userId))
        const first = new RateLimiter(a, registry)
        const second = new RateLimiter(b, registry)
        const results = await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? first : second).consumeFor('emails', { userId: 1 })))
        expect(results.filter((result) => result.allowed)).toHaveLength(3)
        expect(Math.max(...results.map((result) => result.availableIn))).toBeGreaterThan(0)
        expect((await first.consumeFor('emails', { userId: 2 })).allowed).toBe(true)
        await expect(first.consumeFor('sms', {})).rejects.toMatchObject({ code: 'E_UNKNOWN_RATE_LIMITER' })
      })
    })
  })
}

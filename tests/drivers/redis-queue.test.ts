/**
 * The Redis queue driver against the real Redis server (127.0.0.1:6379), each run under a key prefix of
 * its own. The shared driver conformance suite runs here too once tests/drivers/conformance.ts exists.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { RedisReservedJob, type RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { checkEvictionPolicy } from '../../framework/redis/eviction-policy.ts'
import { probeService } from '../support/services.ts'
import { runQueueConformance } from './conformance.ts'
import { keysUnder, makeRedisApp, sleep, type RedisTestApp } from './redis-support.ts'

const redisUp = await probeService('redis')

describe.skipIf(!redisUp)('Redis queue driver: shared conformance suite', () => {
  const prefix = `kiln_t_conf_${randomBytes(4).toString('hex')}:`
  const RETRY_AFTER = 1

  afterAll(async () => {
    // A last app of the same prefix deletes every key the suite left.
    await (await makeRedisApp({ prefix })).cleanup()
  })

  // Each call: an Application of its own, so its own connections (a separate worker), on one store.
  runQueueConformance('redis', async () => {
    const ctx = await makeRedisApp({ prefix })
    const driver = await ctx.queue({ retry_after: RETRY_AFTER, block_for: 5 })
    return { driver, retryAfter: RETRY_AFTER, wakeUp: 'server', cleanup: () => ctx.cleanup({ keepKeys: true }) }
  })
})

describe.skipIf(!redisUp)('Redis queue driver', () => {
  let ctx: RedisTestApp
  let queue: RedisQueue

  beforeAll(async () => {
    ctx = await makeRedisApp()
    queue = await ctx.queue()
  })

  afterAll(async () => {
    await ctx?.cleanup()
  })

  /** A queue name of its own per test, so tests do not see each other's jobs. */
  let counter = 0
  const fresh = () => `q${++counter}`

  it('keeps every key of a queue under one hash tag, after the connection prefix', async () => {
    const name = fresh()
    await queue.pushRaw('{"a":1}', name)
    await queue.pushRaw('{"a":2}', name, { delay: 60 })
    const [job] = await queue.pop(name)
    expect(job).toBeDefined()

    const keys = await keysUnder(ctx.raw, `${ctx.prefix}queues:{${name}}`)
    expect(keys.length).toBeGreaterThanOrEqual(5)
    for (const key of keys) {
      expect(key.startsWith(`${ctx.prefix}queues:{${name}}`)).toBe(true)
      expect(/\{([^}]*)\}/.exec(key)?.[1]).toBe(name)
    }
    expect(keys).toContain(`${ctx.prefix}queues:{${name}}:delayed`)
    expect(keys).toContain(`${ctx.prefix}queues:{${name}}:reserved`)
  })

  it('hands out jobs in order, each once, with attempts counted per reservation', async () => {
    const name = fresh()
    const ids = [await queue.pushRaw('one', name), await queue.pushRaw('two', name)]
    expect(new Set(ids).size).toBe(2)

    const [first] = await queue.pop(name)
    expect(first?.rawBody).toBe('one')
    expect(first?.id).toBe(ids[0])
    expect(first?.attempts).toBe(1)
    expect(first?.queue).toBe(name)
    expect(first?.connectionName).toBe('redis')

    await first?.release(0)
    const again = await queue.pop(name, 5)
    expect(again.map((job) => job.rawBody)).toEqual(['two', 'one'])
    expect(again.find((job) => job.rawBody === 'one')?.attempts).toBe(2)
    expect(await queue.size(name)).toBe(2)

    for (const job of again) await job.delete()
    expect(await queue.size(name)).toBe(0)
    expect(await queue.pop(name)).toEqual([])
  })

  it('gives an expired reservation to the next worker, and the stale token can then neither delete nor release it', async () => {
    const short = await ctx.queue({ retry_after: 0.3 })
    const name = fresh()
    await short.pushRaw('slow', name)
    const [stale] = await short.pop(name)
    expect(await short.pop(name)).toEqual([])

    await sleep(400)
    const [fresher] = await short.pop(name)
    expect(fresher?.id).toBe(stale?.id)
    expect(fresher?.attempts).toBe(2)
    expect(fresher?.reservationToken).not.toBe(stale?.reservationToken)

    await stale?.delete()
    await stale?.release(0)
    expect((stale as RedisReservedJob).leaseLost).toBe(true)
    expect(await short.size(name)).toBe(1)
    expect(await short.pop(name)).toEqual([])

    await fresher?.delete()
    expect((fresher as RedisReservedJob).leaseLost).toBe(false)
    expect(await short.size(name)).toBe(0)
  })

  it('renews a lease with touch(), so a long job is not handed to a second worker', async () => {
    const short = await ctx.queue({ retry_after: 0.5 })
    const name = fresh()
    await short.pushRaw('long', name)
    const [job] = await short.pop(name)
    for (let i = 0; i < 5; i++) {
      await sleep(200)
      await job?.touch?.()
      expect(await short.pop(name)).toEqual([])
    }
    expect((job as RedisReservedJob).leaseLost).toBe(false)
    await job?.delete()
    expect(await short.size(name)).toBe(0)
  })

  it('turns a value pushed onto the list by hand into a job whose body is that value', async () => {
    const name = fresh()
    await ctx.raw.rpush(`${ctx.prefix}queues:{${name}}`, 'definitely not json {')
    const [job] = await queue.pop(name)
    expect(job?.rawBody).toBe('definitely not json {')
    expect(job?.attempts).toBe(1)
    await job?.delete()
    expect((job as RedisReservedJob).leaseLost).toBe(false)
    expect(await queue.size(name)).toBe(0)
  })

  it('keeps a delayed job back until it is due, then hands it out', async () => {
    const name = fresh()
    await queue.pushRaw('later', name, { delay: 0.3 })
    expect(await queue.pop(name)).toEqual([])
    expect(await queue.size(name)).toBe(1)
    await sleep(400)
    const [job] = await queue.pop(name)
    expect(job?.rawBody).toBe('later')
    await job?.delete()
  })

  it('releases with a delay', async () => {
    const name = fresh()
    await queue.pushRaw('retry me', name)
    const [job] = await queue.pop(name)
    await job?.release(0.3)
    expect(await queue.pop(name)).toEqual([])
    expect(await queue.size(name)).toBe(1)
    await sleep(400)
    const [again] = await queue.pop(name)
    expect(again?.attempts).toBe(2)
    await again?.delete()
  })

  it('pushes a bulk in order with distinct ids', async () => {
    const name = fresh()
    const payloads = Array.from({ length: 2500 }, (_, i) => `job-${i}`)
    const ids = await queue.bulkRaw(payloads, name)
    expect(ids).toHaveLength(2500)
    expect(new Set(ids).size).toBe(2500)
    expect(await queue.size(name)).toBe(2500)
    const popped = await queue.pop(name, 3)
    expect(popped.map((job) => job.rawBody)).toEqual(['job-0', 'job-1', 'job-2'])
    expect(popped.map((job) => job.id)).toEqual(ids.slice(0, 3))
    expect(await queue.clear(name)).toBe(2500)
  })

  it('clears waiting, delayed and reserved jobs, leaving no job data behind', async () => {
    const name = fresh()
    await queue.bulkRaw(['a', 'b', 'c'], name)
    await queue.pushRaw('d', name, { delay: 60 })
    const [reserved] = await queue.pop(name)
    expect(await queue.clear(name)).toBe(4)
    expect(await queue.size(name)).toBe(0)
    const left = await keysUnder(ctx.raw, `${ctx.prefix}queues:{${name}}`)
    // Only the queue's own bookkeeping stays: the id counter and the restart marker (restart-hold.lua).
    expect(left.sort()).toEqual([`${ctx.prefix}queues:{${name}}:boot`, `${ctx.prefix}queues:{${name}}:id`])
    // The worker still holding a cleared job cannot bring it back.
    await reserved?.release(0)
    expect(await queue.size(name)).toBe(0)
  })

  it('acknowledges one job and reserves the next in one call (deleteAndPop)', async () => {
    const name = fresh()
    await queue.bulkRaw(['first', 'second', 'third'], name)
    const [first] = await queue.pop(name)
    const next = await queue.deleteAndPop(first as ReservedJob, name, 2)
    expect(next.map((job) => job.rawBody)).toEqual(['second', 'third'])
    expect(await queue.size(name)).toBe(2)
    const none = await queue.deleteAndPop(next[0] as ReservedJob)
    expect(none).toEqual([])
    await next[1]?.delete()
    expect(await queue.size(name)).toBe(0)
  })

  it('never hands one job to two workers popping at once', async () => {
    const name = fresh()
    const other = await (await makeRedisApp({ prefix: ctx.prefix })).queue()
    await queue.bulkRaw(Array.from({ length: 300 }, (_, i) => `j${i}`), name)
    const seen: string[] = []
    const drain = async (driver: RedisQueue) => {
      for (;;) {
        const jobs = await driver.pop(name, 7)
        if (jobs.length === 0) return
        for (const job of jobs) {
          seen.push(job.rawBody)
          await job.delete()
        }
      }
    }
    await Promise.all([drain(queue), drain(other), drain(queue), drain(other)])
    expect(seen).toHaveLength(300)
    expect(new Set(seen).size).toBe(300)
    await other.close()
  })

  it('wakes a blocked waiter as soon as a job is pushed', async () => {
    const name = fresh()
    const controller = new AbortController()
    let woke = false
    const waiting = queue.waitForJobs([name], 10_000, controller.signal).then(() => (woke = true))
    await sleep(200)
    expect(woke).toBe(false)
    await queue.pushRaw('wake up', name)
    const outcome = await Promise.race([waiting.then(() => 'woke'), sleep(5000).then(() => 'still blocked')])
    expect(outcome).toBe('woke')
    const [job] = await queue.pop(name)
    await job?.delete()
    controller.abort()
  })

  it('returns from a wait at its timeout when nothing arrives, and at once when aborted', async () => {
    const name = fresh()
    await queue.waitForJobs([name], 200, new AbortController().signal)
    const controller = new AbortController()
    const waiting = queue.waitForJobs([name], 10_000, controller.signal)
    controller.abort()
    const outcome = await Promise.race([waiting.then(() => 'returned'), sleep(3000).then(() => 'hung')])
    expect(outcome).toBe('returned')
  })

  it('ends a wait when a delayed job falls due', async () => {
    const name = fresh()
    await queue.pushRaw('soon', name, { delay: 0.4 })
    expect(await queue.pop(name)).toEqual([])
    const outcome = await Promise.race([
      queue.waitForJobs([name], 10_000, new AbortController().signal).then(() => 'returned'),
      sleep(5000).then(() => 'slept through'),
    ])
    expect(outcome).toBe('returned')
    const [job] = await queue.pop(name)
    expect(job?.rawBody).toBe('soon')
    await job?.delete()
  })

  it('reports no eviction warning for a noeviction server', async () => {
    const policy = (await ctx.raw.config('GET', 'maxmemory-policy')) as string[]
    const warning = await checkEvictionPolicy(ctx.raw)
    if (policy[1] === 'noeviction') expect(warning).toBeNull()
    else expect(warning).toContain(policy[1])
  })
})

/**
 * Batched acknowledgements of the Redis driver: deleteManyAndPop, and deleteAndPop calls made in the
 * same tick sharing one script call. Against the real Redis server, under a key prefix of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { RedisReservedJob, type RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { probeService } from '../support/services.ts'
import { makeRedisApp, sleep, type RedisTestApp } from './redis-support.ts'

const redisUp = await probeService('redis')

describe.skipIf(!redisUp)('Redis queue driver: batched acknowledgements', () => {
  let ctx: RedisTestApp
  let queue: RedisQueue

  beforeAll(async () => {
    ctx = await makeRedisApp()
    queue = await ctx.queue({ retry_after: 1 })
  })

  afterAll(async () => {
    await ctx?.cleanup()
  })

  let counter = 0
  const fresh = () => `batch${++counter}`

  it('deletes several finished jobs and reserves the next ones in one call', async () => {
    const name = fresh()
    await queue.bulkRaw(['a', 'b', 'c', 'd', 'e'], name)
    const done = await queue.pop(name, 2)
    const next = await queue.deleteManyAndPop(done, name, 2)
    expect(next.map((job) => job.rawBody)).toEqual(['c', 'd'])
    expect(done.every((job) => !(job as RedisReservedJob).leaseLost)).toBe(true)
    // The deleted jobs are gone for good: only the two reserved and the one waiting are left.
    expect(await queue.size(name)).toBe(3)
    expect(await queue.deleteManyAndPop(next, name, 0)).toEqual([])
    expect(await queue.size(name)).toBe(1)
  })

  it('deletes nothing for a stale token, flags that job, and still acknowledges the others', async () => {
    const name = fresh()
    await queue.bulkRaw(['slow', 'fast'], name)
    const [slow] = await queue.pop(name)
    await sleep(1200)
    // The reservation expired: the job is handed out again, under a new token.
    const popped = await queue.pop(name, 2)
    const again = popped.find((job) => job.id === slow?.id)
    const fast = popped.find((job) => job.rawBody === 'fast')
    expect(again).toBeDefined()
    expect(fast).toBeDefined()
    await queue.deleteManyAndPop([slow as ReservedJob, fast as ReservedJob], name, 1)
    expect((slow as RedisReservedJob).leaseLost).toBe(true)
    expect((fast as RedisReservedJob).leaseLost).toBe(false)
    // The new holder still owns the job; its own ack works.
    expect(await queue.size(name)).toBe(1)
    await again?.delete()
    expect((again as RedisReservedJob).leaseLost).toBe(false)
    expect(await queue.size(name)).toBe(0)
  })

  it('shares one script call among deleteAndPop calls of one tick, dealing each caller its own jobs', async () => {
    const name = fresh()
    await queue.bulkRaw(['1', '2', '3', '4', '5', '6', '7'], name)
    const held = await queue.pop(name, 3)
    const [a, b, c] = await Promise.all(held.map((job, index) => queue.deleteAndPop(job, name, index === 0 ? 2 : 1)))
    // Seven jobs, three held and acknowledged, four asked for and reserved: two, one, one, none twice.
    const bodies = [...(a ?? []), ...(b ?? []), ...(c ?? [])].map((job) => job.rawBody)
    expect(a).toHaveLength(2)
    expect(b).toHaveLength(1)
    expect(c).toHaveLength(1)
    expect(new Set(bodies)).toEqual(new Set(['4', '5', '6', '7']))
    expect(await queue.size(name)).toBe(4)
    // Fewer jobs than asked for: the later callers get none, and nothing is left behind.
    const reserved = [...(a ?? []), ...(b ?? []), ...(c ?? [])]
    const after = await Promise.all(reserved.map((job) => queue.deleteAndPop(job, name, 1)))
    expect(after.flat()).toEqual([])
    expect(await queue.size(name)).toBe(0)
  })

  it('refuses a job of another queue', async () => {
    const name = fresh()
    const other = fresh()
    await queue.pushRaw('x', other)
    const jobs = await queue.pop(other)
    await expect(queue.deleteManyAndPop(jobs, name, 1)).rejects.toThrow(TypeError)
    await jobs[0]?.delete()
  })
})

/**
 * A long Redis outage seen by a producer: a push fails with E_QUEUE_UNAVAILABLE within a reconnect cycle
 * instead of waiting for Redis to come back, so an HTTP route can answer 503 promptly, and a push that
 * failed is never sent later. Runs a redis-server of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, hasRedisServer, makeRedisApp, RedisServer, sleep, type RedisTestApp } from '../drivers/redis-support.ts'

describe.skipIf(!hasRedisServer())('Redis producer during a long outage', () => {
  let server: RedisServer
  let ctx: RedisTestApp

  beforeAll(async () => {
    server = new RedisServer(await freePort())
    await server.start()
    // The framework's default retry budget.
    ctx = await makeRedisApp({ port: server.port, maxRetriesPerRequest: 5 })
  })

  afterAll(async () => {
    await ctx?.cleanup()
    await server?.destroy()
  })

  it('fails a push made well into an outage before Redis is back, never stores it, and pushes again afterwards', async () => {
    const queue = await ctx.queue({ queue: 'late' })
    await queue.pushRaw('before')
    await server.stop()
    let pushed: Promise<unknown>
    try {
      await sleep(2000)
      pushed = queue.pushRaw('during').then(
        () => 'stored after waiting for Redis',
        (error: unknown) => error,
      )
      // Redis stays away long enough that only a push that waited for it could succeed.
      await sleep(3000)
    } finally {
      await server.start()
    }
    expect(await pushed).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
    await queue.pushRaw('after')
    const jobs = await queue.pop('late', 10)
    expect(jobs.map((job) => job.rawBody).sort()).toEqual(['after', 'before'])
    for (const job of jobs) await job.delete()
  })
})

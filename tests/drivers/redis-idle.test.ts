/**
 * An idle worker's traffic: while the Redis driver waits for jobs it sends nothing but its blocking
 * call. Watched with MONITOR on a redis-server of the test's own, so no other suite's traffic mixes in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, hasRedisServer, makeRedisApp, RedisServer, type RedisTestApp } from './redis-support.ts'

const serverAvailable = hasRedisServer()

describe.skipIf(!serverAvailable)('Redis driver while idle', () => {
  let server: RedisServer
  let ctx: RedisTestApp

  beforeAll(async () => {
    server = new RedisServer(await freePort())
    await server.start()
    ctx = await makeRedisApp({ port: server.port })
  })

  afterAll(async () => {
    await ctx?.cleanup()
    await server?.destroy()
  })

  it('sends only BLPOP on the notify list while waiting', async () => {
    const queue = await ctx.queue({ queue: 'idle', block_for: 1 })
    const signal = new AbortController().signal
    // The first wait opens the blocking connection (its handshake is not idle traffic).
    await queue.waitForJobs(['idle'], 100, signal)

    const monitor = await ctx.raw.monitor()
    const seen: string[][] = []
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args))
    for (let i = 0; i < 3; i++) await queue.waitForJobs(['idle'], 300, signal)
    monitor.disconnect()

    expect(seen.length).toBeGreaterThanOrEqual(3)
    for (const args of seen) {
      expect(args[0]?.toLowerCase()).toBe('blpop')
      expect(args[1]).toBe(`${ctx.prefix}queues:{idle}:notify`)
    }
  })
})

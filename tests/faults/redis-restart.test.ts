/**
 * The Redis driver when its server goes away: each test runs a redis-server of its own (AOF on, on a
 * free port) and stops, restarts or withholds it. Nothing may hang, nothing may be dropped silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { checkEvictionPolicy } from '../../framework/redis/eviction-policy.ts'
import { freePort, hasRedisServer, makeRedisApp, RedisServer, sleep, type RedisTestApp } from '../drivers/redis-support.ts'

const serverAvailable = hasRedisServer()

describe.skipIf(!serverAvailable)('Redis driver faults', () => {
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

  it('reconnects by itself after Redis restarts, and loses no job', async () => {
    const queue = await ctx.queue({ queue: 'restart' })
    const ids = await queue.bulkRaw(Array.from({ length: 50 }, (_, i) => `job-${i}`))
    const held = await queue.pop('restart', 10)
    expect(held).toHaveLength(10)

    await server.restart()

    // The same driver, without being rebuilt: pushes and pops work again.
    ids.push(await queue.pushRaw('after-restart'))
    expect(await queue.size('restart')).toBe(51)
    const done = new Set<string>()
    // Workers hold off a restarted Redis for up to 2 s (restart-hold.lua): an empty pop ends nothing here.
    const deadline = Date.now() + 10_000
    while ((await queue.size('restart')) > held.length && Date.now() < deadline) {
      const jobs = await queue.pop('restart', 8)
      if (jobs.length === 0) await sleep(100)
      for (const job of jobs) {
        done.add(job.id)
        await job.delete()
      }
    }
    // Reservations taken before the restart survived it (AOF) and can still be acknowledged.
    for (const job of held) {
      await job.delete()
      done.add(job.id)
    }
    expect([...done].sort()).toEqual([...ids].sort())
    expect(await queue.size('restart')).toBe(0)
  })

  it('wakes a blocked waiter on a push made after a restart', async () => {
    const queue = await ctx.queue({ queue: 'wake', block_for: 10 })
    const signal = new AbortController().signal
    // Establish the blocking connection, then pull the server from under it.
    await queue.waitForJobs(['wake'], 100, signal)
    await server.restart()
    await sleep(500)
    // Rides out any wait that began before the reconnect, as a worker's loop would.
    const woke = (async () => {
      for (let i = 0; i < 5; i++) {
        await queue.waitForJobs(['wake'], 10_000, signal)
        if ((await queue.size('wake')) > 0) return 'woke'
      }
      return 'never woke'
    })()
    await sleep(300)
    await queue.pushRaw('ping', 'wake')
    expect(await Promise.race([woke, sleep(8000).then(() => 'still blocked')])).toBe('woke')
    const [job] = await queue.pop('wake')
    await job?.delete()
  })

  it('fails a push with E_QUEUE_UNAVAILABLE within seconds while Redis is down, and stores nothing', async () => {
    const queue = await ctx.queue({ queue: 'down' })
    await queue.pushRaw('before')
    await server.stop()
    try {
      const started = Date.now()
      const error = await queue.pushRaw('while-down').then(
        () => null,
        (caught: unknown) => caught,
      )
      expect(error).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
      expect(Date.now() - started).toBeLessThan(10_000)
      await expect(queue.pop('down')).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
    } finally {
      await server.start()
    }
    // Only the job pushed before the outage is there: the failed push was reported, not half-stored.
    const jobs = await queue.pop('down', 10)
    expect(jobs.map((job: ReservedJob) => job.rawBody)).toEqual(['before'])
    await jobs[0]?.delete()
  })

  it('rides out a short restart: a push made while Redis is coming back is stored', async () => {
    const patient = await makeRedisApp({ port: server.port, prefix: ctx.prefix, maxRetriesPerRequest: 50 })
    try {
      const queue = await patient.queue({ queue: 'blip' })
      await queue.size('blip')
      await server.stop()
      const pushed = queue.pushRaw('during-blip')
      await sleep(300)
      await server.start()
      const id = await pushed
      const [job] = await queue.pop('blip')
      expect(job?.id).toBe(id)
      expect(job?.rawBody).toBe('during-blip')
      await job?.delete()
    } finally {
      await patient.cleanup()
    }
  })

  it('fails instead of hanging while Redis is frozen, and works again when it thaws', async () => {
    const impatient = await makeRedisApp({ port: server.port, prefix: ctx.prefix, commandTimeout: 1000 })
    try {
      const queue = await impatient.queue({ queue: 'frozen', block_for: 1 })
      await queue.waitForJobs(['frozen'], 50, new AbortController().signal)
      server.signal('SIGSTOP')
      try {
        await expect(queue.pushRaw('while-frozen')).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
        const outcome = await Promise.race([
          queue.waitForJobs(['frozen'], 500, new AbortController().signal).then(() => 'returned'),
          sleep(5000).then(() => 'hung'),
        ])
        expect(outcome).toBe('returned')
      } finally {
        server.signal('SIGCONT')
      }
      // At least once: the timed-out push may land after the thaw; a new one certainly does.
      const id = await queue.pushRaw('after-thaw')
      const jobs = await queue.pop('frozen', 10)
      expect(jobs.map((job) => job.id)).toContain(id)
      for (const job of jobs) await job.delete()
    } finally {
      await impatient.cleanup({ keepKeys: true })
    }
  })

  it('reports an unreachable Redis at start with a readable error, and works once it is up', async () => {
    const port = await freePort()
    const late = await makeRedisApp({ port })
    const lateServer = new RedisServer(port)
    try {
      const queue = await late.queue({ queue: 'late' })
      const error = await queue.pushRaw('too early').then(
        () => null,
        (caught: unknown) => caught as Error & { code?: string },
      )
      expect(error?.code).toBe('E_QUEUE_UNAVAILABLE')
      expect(error?.message).toContain(`127.0.0.1:${port}`)

      await lateServer.start()
      const id = await queue.pushRaw('on time')
      const [job] = await queue.pop('late')
      expect(job?.id).toBe(id)
      await job?.delete()
    } finally {
      await late.cleanup()
      await lateServer.destroy()
    }
  })

  it('warns when the server may evict keys, naming the policy', async () => {
    const port = await freePort()
    const evicting = new RedisServer(port, ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru'])
    await evicting.start()
    const app = await makeRedisApp({ port })
    try {
      const queue = await app.queue()
      const warnings = await queue.startupWarnings()
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('allkeys-lru')
      expect(await checkEvictionPolicy(ctx.app.make('redis').connection())).toBeNull()
    } finally {
      await app.cleanup()
      await evicting.destroy()
    }
  })
})

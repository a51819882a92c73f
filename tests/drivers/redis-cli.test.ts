/**
 * The queue commands a user runs against the Redis connection (queue:monitor, queue:clear,
 * queue:restart), as real `bin/craft` processes on the real Redis server under a key prefix of their own.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCraft, spawnCraft, waitForOutput } from '../support/craft.ts'
import { probeService } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { makeRedisApp, type RedisTestApp } from './redis-support.ts'

const redisUp = await probeService('redis')

describe.skipIf(!redisUp)('queue commands on the Redis connection', () => {
  let app: TempApp
  let ctx: RedisTestApp
  let env: Record<string, string>

  beforeAll(async () => {
    const prefix = `kiln_t_cli_${randomBytes(4).toString('hex')}:`
    app = makeTempApp()
    ctx = await makeRedisApp({ prefix })
    env = {
      QUEUE_CONNECTION: 'redis',
      REDIS_PREFIX: prefix,
      // The cache (restart signal) on the same db, so the prefix cleanup removes its keys too.
      REDIS_CACHE_DB: '0',
      CACHE_STORE: 'redis',
      APP_ENV: 'testing',
    }
  })

  afterAll(async () => {
    await ctx?.cleanup()
    app?.cleanup()
  })

  it('queue:monitor shows the size of Redis queues and flags the full ones', async () => {
    const queue = await ctx.queue()
    await queue.bulkRaw(['a', 'b', 'c'], 'default')
    await queue.bulkRaw(['d', 'e'], 'emails')
    const result = await runCraft(['queue:monitor', 'redis:default,redis:emails', '--max=3'], { basePath: app.basePath, env })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/\[redis\] default \.*\s*3 \/ ALERT/)
    expect(result.stdout).toMatch(/\[redis\] emails \.*\s*2 \/ OK/)
  })

  it('queue:clear empties the named Redis queues', async () => {
    const queue = await ctx.queue()
    await queue.pushRaw('x', 'clearme')
    await queue.pushRaw('y', 'clearme', { delay: 60 })
    const result = await runCraft(['queue:clear', 'redis', '--queue=clearme', '--force'], { basePath: app.basePath, env })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Cleared 2 jobs from the [clearme] queue')
    expect(await queue.size('clearme')).toBe(0)
  })

  it('queue:restart stops every worker of the Redis connection', async () => {
    const workers = [0, 1].map(() => spawnCraft(['queue:work', 'redis', '--sleep=1'], { basePath: app.basePath, env }))
    const exits = workers.map((worker) => new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code))))
    try {
      await Promise.all(workers.map((worker) => waitForOutput(worker, /Processing jobs/)))
      // Restarts signalled before a worker started do not stop it; one signalled now does.
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const restart = await runCraft(['queue:restart'], { basePath: app.basePath, env })
      expect(restart.code).toBe(0)
      const codes = await Promise.race([Promise.all(exits), new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))])
      expect(codes).toEqual([0, 0])
    } finally {
      for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL')
    }
  }, 40_000)
})

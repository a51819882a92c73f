/**
 * The worker on the Redis driver, against a redis-server this file starts on a free port (with
 * `maxmemory-policy allkeys-lru`, so the start-up warning has something to say): lease renewal keeps a
 * job that outlives retry_after on one worker, finish-and-fetch-next halves the scripts per job, and a
 * risky eviction policy is reported at start.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import type { ConfigOverrides } from '../../framework/foundation/config.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { queueKeys } from '../../framework/queue/drivers/redis-scripts.ts'
import { workerOptions, type WorkerOptions } from '../../framework/queue/worker/options.ts'
import { Worker } from '../../framework/queue/worker/worker.ts'
import { freePort, hasRedisServer, RedisServer, sleep } from './redis-support.ts'
import { runCraft } from '../support/craft.ts'
import { makeTempApp } from '../support/temp-app.ts'

const runs = new Map<string, number>()
const aborted: string[] = []

class Slow extends QueuedJob {
  constructor(
    public label = 'slow',
    public ms = 5000,
  ) {
    super()
  }
  async handle() {
    runs.set(this.label, (runs.get(this.label) ?? 0) + 1)
    const signal = this.job.signal
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.ms)
      signal.addEventListener('abort', () => {
        aborted.push(`${this.label}:${(signal.reason as { code?: string }).code}`)
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

class Quick extends QueuedJob {
  constructor(public label = 'quick') {
    super()
  }
  handle() {
    runs.set(this.label, (runs.get(this.label) ?? 0) + 1)
  }
}

const serverAvailable = hasRedisServer()

describe.skipIf(!serverAvailable)('the worker on Redis', () => {
  let server: RedisServer
  let raw: Redis
  const apps: Application[] = []
  const dirs: string[] = []
  const prefix = 'kiln_worker_redis:'

  beforeAll(async () => {
    server = new RedisServer(await freePort(), ['--maxmemory-policy', 'allkeys-lru'])
    await server.start()
    raw = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true })
  }, 30_000)

  afterAll(async () => {
    for (const app of apps) await app.shutdown()
    raw?.disconnect()
    await server?.destroy()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  async function makeApp(retryAfter = 60): Promise<Application> {
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-worker-redis-'))
    dirs.push(basePath)
    const config = {
      cache: { default: 'memory' },
      redis: { options: { prefix, maxRetriesPerRequest: 3 }, connections: { default: { host: '127.0.0.1', port: server.port, db: 0 } } },
      queue: {
        default: 'redis',
        connections: { redis: { driver: 'redis', connection: 'default', queue: 'default', retry_after: retryAfter, block_for: 1 } },
        failed: { driver: 'null', table: 'failed_jobs' },
      },
    } as ConfigOverrides
    const app = await Application.create({ basePath, loadEnv: false, config })
    apps.push(app)
    const registry = await app.make('jobs').ready()
    registry.register(Slow)
    registry.register(Quick)
    return app
  }

  function worker(app: Application, options: Partial<WorkerOptions> = {}, warnings: string[] = [], errors: unknown[] = []): Worker {
    return new Worker(app, 'redis', workerOptions({ sleep: 0.2, timeout: 0, ...options }), {
      listenForSignals: false,
      onWarning: (message) => void warnings.push(message),
      onError: (error) => void errors.push(error),
    })
  }

  async function push(app: Application, job: QueuedJob, queue = 'default'): Promise<void> {
    await (await app.make('queue').connection('redis')).pushRaw(encodeJob(job).payload, queue)
  }

  async function evalCalls(): Promise<number> {
    const stats = await raw.info('commandstats')
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0)
  }

  it('renews the lease of a job that runs longer than retry_after: with two workers it runs exactly once', async () => {
    const [first, second] = [await makeApp(2), await makeApp(2)]
    const errors: unknown[] = []
    const warnings: string[] = []
    await push(first, new Slow('lease', 5000))
    // tries: 3, so a second claim would run the job again (with tries: 1 it would fail it instead).
    const workers = [worker(first, { tries: 3 }, warnings, errors), worker(second, { tries: 3 }, warnings, errors)]
    const stopped = workers.map((w) => w.daemon())
    const deadline = Date.now() + 15_000
    while ((await (await first.make('queue').connection('redis')).size()) > 0 && Date.now() < deadline) await sleep(200)
    // Past two more retry_after periods: a second worker would have picked an expired reservation by now.
    await sleep(2500)
    for (const w of workers) w.stop()
    await Promise.all(stopped)
    expect(runs.get('lease')).toBe(1)
    expect(await (await first.make('queue').connection('redis')).size()).toBe(0)
    expect(errors).toEqual([])
    expect(warnings.filter((w) => w.includes('lost its reservation'))).toEqual([])
  }, 30_000)

  it('aborts the job signal and warns when a touch finds the reservation gone', async () => {
    const app = await makeApp(3)
    const warnings: string[] = []
    await push(app, new Slow('lost', 6000), 'lost')
    const w = worker(app, { queues: ['lost'] }, warnings)
    const stopped = w.daemon()
    const keys = queueKeys('lost')
    // Wait for the reservation, then take it away as an expiry plus another worker's claim would.
    const deadline = Date.now() + 5000
    while ((await raw.zcard(`${prefix}${keys.reserved}`)) === 0 && Date.now() < deadline) await sleep(50)
    await raw.del(`${prefix}${keys.tokens}`)
    while (!aborted.includes('lost:E_LEASE_LOST') && Date.now() < deadline + 5000) await sleep(100)
    w.stop()
    await stopped
    expect(aborted).toContain('lost:E_LEASE_LOST')
    expect(warnings.some((message) => message.includes('lost its reservation'))).toBe(true)
  }, 20_000)

  it('finishes a job and fetches the next in one script, and runs every job exactly once', async () => {
    const app = await makeApp()
    const jobs = 200
    for (let i = 0; i < jobs; i++) await push(app, new Quick(`fast-${i}`), 'fast')
    const before = await evalCalls()
    const stop = await worker(app, { queues: ['fast'], stopWhenEmpty: true }).daemon()
    const scripts = (await evalCalls()) - before
    expect(stop.reason).toContain('empty')
    expect([...runs].filter(([label, count]) => label.startsWith('fast-') && count === 1)).toHaveLength(jobs)
    expect(await (await app.make('queue').connection('redis')).size('fast')).toBe(0)
    // delete + pop would be two scripts per job; one script both acknowledges a job and claims the next.
    expect(scripts).toBeLessThanOrEqual(jobs + 5)
  }, 30_000)

  it.each([1, 3])('stops at --max-jobs exactly while fetching the next job with each acknowledgement (concurrency %i)', async (concurrency) => {
    const app = await makeApp()
    const queue = `limited-${concurrency}`
    for (let i = 0; i < 20; i++) await push(app, new Quick(`${queue}-${i}`), queue)
    const stop = await worker(app, { queues: [queue], maxJobs: 5, concurrency }).daemon()
    expect(stop.reason).toContain('--max-jobs')
    expect([...runs.keys()].filter((label) => label.startsWith(`${queue}-`))).toHaveLength(5)
    // Nothing claimed beyond the limit: the other 15 wait, none reserved.
    expect(await (await app.make('queue').connection('redis')).size(queue)).toBe(15)
    expect(await raw.zcard(`${prefix}${queueKeys(queue).reserved}`)).toBe(0)
  }, 30_000)

  it('keeps two scripts per job when several queues are worked (priority is looked at again)', async () => {
    const app = await makeApp()
    for (let i = 0; i < 20; i++) await push(app, new Quick(`prio-${i}`), 'low')
    const before = await evalCalls()
    await worker(app, { queues: ['high', 'low'], stopWhenEmpty: true }).daemon()
    const scripts = (await evalCalls()) - before
    expect([...runs].filter(([label, count]) => label.startsWith('prio-') && count === 1)).toHaveLength(20)
    expect(scripts).toBeGreaterThanOrEqual(3 * 20)
  }, 30_000)

  it('warns at start when maxmemory-policy is not noeviction, naming the policy', async () => {
    const app = await makeApp()
    const warnings: string[] = []
    await worker(app, { queues: ['empty'], stopWhenEmpty: true }, warnings).daemon()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('allkeys-lru')
    expect(warnings[0]).toContain('noeviction')
  }, 20_000)

  it('queue:work prints the warning as a WARN line and goes on working', async () => {
    const temp = makeTempApp()
    try {
      const env = { QUEUE_CONNECTION: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: String(server.port), REDIS_PREFIX: prefix, CACHE_STORE: 'memory', APP_ENV: 'testing' }
      const result = await runCraft(['queue:work', 'redis', '--stop-when-empty', '--queue=cli-empty'], { basePath: temp.basePath, env })
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/WARN.*maxmemory-policy is "allkeys-lru"/)
    } finally {
      temp.cleanup()
    }
  }, 30_000)
})

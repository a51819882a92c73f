/**
 * `queue:work` on the Redis driver when things go wrong around it: Redis not there yet when the worker
 * starts, and a garbage value pushed onto the queue by hand. In both the worker stays alive.
 */
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort, hasRedisServer, makeRedisApp, RedisServer, type RedisTestApp } from '../drivers/redis-support.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { RecordJob } from '../fixtures/app/app/Jobs/RecordJob.ts'
import { repoRoot, runCraft, spawnCraft, waitForOutput } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const serverAvailable = hasRedisServer()

describe.skipIf(!serverAvailable)('queue:work on Redis, around faults', () => {
  let app: TempApp
  const servers: RedisServer[] = []
  const producers: RedisTestApp[] = []
  let worker: ChildProcess | undefined

  beforeAll(async () => {
    app = makeTempApp()
    cpSync(join(repoRoot, 'tests', 'fixtures', 'app', 'app', 'Jobs'), app.path('app', 'Jobs'), { recursive: true })
    cpSync(join(repoRoot, 'database', 'migrations'), app.path('database', 'migrations'), { recursive: true })
    // Failed jobs stay in the database store (as in Laravel), here a SQLite file of the temp app.
    const migrated = await runCraft(['migrate', '--force'], { basePath: app.basePath, env: envFor(1) })
    if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stdout}${migrated.stderr}`)
  }, 60_000)

  afterEach(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker?.once('exit', resolve))
      worker.kill('SIGKILL')
      await exited
    }
    worker = undefined
    for (const producer of producers.splice(0)) await producer.cleanup()
    for (const server of servers.splice(0)) await server.destroy()
  })

  afterAll(() => app?.cleanup())

  const envFor = (port: number): Record<string, string> => ({
    QUEUE_CONNECTION: 'redis',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(port),
    REDIS_PREFIX: 'kiln_worker_fault_',
    REDIS_QUEUE_BLOCK_FOR: '1',
    CACHE_STORE: 'memory',
    DB_CONNECTION: 'sqlite',
    DB_DATABASE_SQLITE: app.path('database', 'test.sqlite'),
    APP_ENV: 'testing',
  })

  const records = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [])

  async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  it('keeps retrying with a readable line while Redis is unreachable, then works once it is up', async () => {
    const port = await freePort()
    worker = spawnCraft(['queue:work', 'redis', '--sleep=1'], { basePath: app.basePath, env: envFor(port) })
    const output = await waitForOutput(worker, /cannot reach Redis at 127\.0\.0\.1:\d+/)
    expect(output).toContain('ECONNREFUSED')
    expect(worker.exitCode).toBeNull()

    const server = new RedisServer(port)
    servers.push(server)
    await server.start()
    const producer = await makeRedisApp({ port, prefix: 'kiln_worker_fault_', basePath: app.basePath })
    producers.push(producer)
    const ledger = app.path('late.log')
    await (await producer.queue()).pushRaw(encodeJob(new RecordJob(ledger, 'late')).payload)
    await until(() => records(ledger).includes('late done 1'))
    expect(worker.exitCode).toBeNull()
  }, 60_000)

  it('finishes every job when Redis restarts mid-run (AOF on)', async () => {
    const server = new RedisServer(await freePort())
    servers.push(server)
    await server.start()
    const producer = await makeRedisApp({ port: server.port, prefix: 'kiln_worker_fault_', basePath: app.basePath })
    producers.push(producer)
    const queue = await producer.queue()
    const ledger = app.path('restart.log')
    const labels = Array.from({ length: 150 }, (_, i) => `r${i}`)
    await queue.bulkRaw(labels.map((label) => encodeJob(new RecordJob(ledger, label, 40)).payload))

    const env = { ...envFor(server.port), REDIS_QUEUE_RETRY_AFTER: '3' }
    worker = spawnCraft(['queue:work', 'redis', '--sleep=1', '--tries=0', '--timeout=2', '--concurrency=4'], { basePath: app.basePath, env })
    await until(() => records(ledger).filter((line) => line.includes(' done ')).length >= 20)
    await server.restart()

    const done = () => new Set(records(ledger).filter((line) => line.includes(' done ')).map((line) => line.split(' ')[0]))
    await until(async () => done().size === labels.length && (await queue.size().catch(() => 1)) === 0, 45_000)
    expect(labels.filter((label) => !done().has(label))).toEqual([])
    expect(worker.exitCode).toBeNull()
  }, 90_000)

  it('fails a garbage value pushed by hand with a readable error and goes on working', async () => {
    const server = new RedisServer(await freePort())
    servers.push(server)
    await server.start()
    const producer = await makeRedisApp({ port: server.port, prefix: 'kiln_worker_fault_', basePath: app.basePath })
    producers.push(producer)
    const queue = await producer.queue()
    await producer.raw.rpush('kiln_worker_fault_queues:{default}', 'this is not a job')

    worker = spawnCraft(['queue:work', 'redis', '--sleep=1'], { basePath: app.basePath, env: envFor(server.port) })
    const output = await waitForOutput(worker, /FAIL[\s\S]*payload is malformed/i)
    expect(output).toMatch(/Unreadable job|FAIL/)

    const ledger = app.path('after.log')
    await queue.pushRaw(encodeJob(new RecordJob(ledger, 'after')).payload)
    await until(() => records(ledger).includes('after done 1'))
    expect(await queue.size()).toBe(0)

    // The garbage is kept byte for byte in failed_jobs, where queue:failed shows it.
    const { default: knex } = await import('knex')
    const db = knex({ client: 'better-sqlite3', connection: { filename: app.path('database', 'test.sqlite') }, useNullAsDefault: true })
    const failed: { connection: string; queue: string; payload: string; exception: string }[] = await db('failed_jobs')
      .select('connection', 'queue', 'payload', 'exception')
      .finally(() => db.destroy())
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ connection: 'redis', queue: 'default', payload: 'this is not a job' })
    expect(failed[0]?.exception).toContain('E_MALFORMED_PAYLOAD')
    expect(worker.exitCode).toBeNull()
  }, 60_000)
})

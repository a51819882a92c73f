/**
 * Workers SIGKILLed mid-job on the Redis driver: three `queue:work` processes on a redis-server of the
 * test's own, one killed and replaced every fraction of a second. A killed worker's job runs again once
 * its reservation outlives retry_after; in the end every job has completed at least once and the queue
 * is empty.
 */
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, hasRedisServer, makeRedisApp, RedisServer, sleep, type RedisTestApp } from '../drivers/redis-support.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { RecordJob } from '../fixtures/app/app/Jobs/RecordJob.ts'
import { repoRoot, spawnCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const JOBS = Number(process.env.KILN_KILL_TEST_JOBS ?? 300)
const WORKERS = 3
const RETRY_AFTER = 3
const KILLS = 10

const serverAvailable = hasRedisServer()

describe.skipIf(!serverAvailable)('Redis workers killed mid-job', () => {
  let server: RedisServer
  let producer: RedisTestApp
  let app: TempApp
  let env: Record<string, string>
  const workers = new Set<ChildProcess>()

  beforeAll(async () => {
    server = new RedisServer(await freePort())
    await server.start()
    const prefix = 'kiln_kill_test_'
    // The skeleton's config plus the fixture jobs, in a throwaway app folder.
    app = makeTempApp()
    cpSync(join(repoRoot, 'tests', 'fixtures', 'app', 'app', 'Jobs'), app.path('app', 'Jobs'), { recursive: true })
    producer = await makeRedisApp({ port: server.port, prefix, basePath: app.basePath })
    env = {
      QUEUE_CONNECTION: 'redis',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(server.port),
      REDIS_PREFIX: prefix,
      REDIS_QUEUE_RETRY_AFTER: String(RETRY_AFTER),
      REDIS_QUEUE_BLOCK_FOR: '1',
      CACHE_STORE: 'redis',
      DB_CONNECTION: 'sqlite',
      APP_ENV: 'testing',
    }
  }, 60_000)

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL')
    await producer?.cleanup()
    await server?.destroy()
    app?.cleanup()
  })

  it(`completes every one of ${JOBS} jobs at least once while workers are killed`, async () => {
    const ledger = app.path('ledger.log')
    const queue = await producer.queue({ retry_after: RETRY_AFTER })
    const payloads = Array.from({ length: JOBS }, (_, i) => encodeJob(new RecordJob(ledger, `j${i}`, 40)).payload)
    await queue.bulkRaw(payloads)

    /** Workers that have started a job since they were spawned: killing one of them cuts a job off. */
    const busy = new Set<ChildProcess>()
    const start = () => {
      const child = spawnCraft(['queue:work', 'redis', '--sleep=1', '--tries=0', '--timeout=2', '--concurrency=2'], { basePath: app.basePath, env })
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('RUNNING')) busy.add(child)
      })
      let stderr = ''
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.once('exit', (code, signal) => {
        workers.delete(child)
        busy.delete(child)
        if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) console.error(`worker exited ${code}: ${stderr}`)
      })
      workers.add(child)
    }
    for (let i = 0; i < WORKERS; i++) start()

    const completed = () => {
      const lines = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n') : []
      return new Set(lines.filter((line) => line.includes(' done ')).map((line) => line.split(' ')[0]))
    }

    // Kill a worker that is running jobs, replace it at once, and repeat while work remains.
    let kills = 0
    const deadline = Date.now() + 100_000
    while (kills < KILLS && completed().size < JOBS && Date.now() < deadline) {
      await sleep(100 + Math.random() * 300)
      const victim = [...busy][Math.floor(Math.random() * busy.size)]
      if (!victim) continue
      victim.kill('SIGKILL')
      busy.delete(victim)
      workers.delete(victim)
      kills++
      start()
    }
    // Let the survivors drain what killed workers left reserved (it returns after retry_after).
    while ((await queue.size()) > 0 && Date.now() < deadline) await sleep(250)

    const done = completed()
    const missing = Array.from({ length: JOBS }, (_, i) => `j${i}`).filter((label) => !done.has(label))
    expect(missing).toEqual([])
    expect(await queue.size()).toBe(0)
    expect(kills).toBeGreaterThanOrEqual(Math.min(KILLS, 3))

    // Some job was cut off mid-run and ran again on a later attempt.
    const lines = readFileSync(ledger, 'utf8').trim().split('\n')
    const retried = lines.filter((line) => / start ([2-9]|\d{2,})$/.test(line))
    expect(retried.length).toBeGreaterThan(0)
    if (process.env.KILN_KILL_TEST_VERBOSE) console.log({ kills, retried: retried.length, executions: lines.filter((l) => l.includes(' done ')).length })

    for (const worker of workers) worker.kill('SIGTERM')
    await Promise.all([...workers].map((worker) => new Promise((resolve) => worker.once('exit', resolve))))
  }, 120_000)
})

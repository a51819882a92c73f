/**
 * A push in flight when Redis shuts down: Redis acts on a SIGTERM after running the commands read in the
 * same event-loop turn (they reach the AOF) but before writing their replies, so the producer sees the
 * connection close and answers "not stored" (503) for a job that is stored. Reproduced with a real
 * redis-server: while it is stopped (SIGSTOP), a 300 ms DEBUG SLEEP and the push are both sent, so it reads
 * them in one turn once it runs again; the SIGTERM arrives during the sleep. The producer must withdraw the
 * job once Redis is back, so a push that failed never runs.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureLog } from '../support/captured-log.ts'
import { freePort, hasRedisServer, makeRedisApp, openScriptPipe, RedisServer, sleep, type RedisTestApp } from '../drivers/redis-support.ts'

describe.skipIf(!hasRedisServer())('a push in flight when Redis shuts down', () => {
  let server: RedisServer
  let producer: RedisTestApp
  let blocker: Redis | undefined
  let logged: { level: number; msg: string }[] = []
  /** When the server last started: see pushIntoShutdown. */
  let startedAt = 0

  beforeAll(async () => {
    server = new RedisServer(await freePort(), ['--enable-debug-command', 'yes'])
    await start()
    producer = await makeRedisApp({ port: server.port, maxRetriesPerRequest: 5 })
    logged = captureLog(producer.app)
  })

  afterAll(async () => {
    blocker?.disconnect()
    await producer?.cleanup()
    await server?.destroy()
  })

  it('answers the push as failed, and withdraws the stored job once Redis is back, so it never runs', async () => {
    const body = await pushIntoShutdown('doubt')
    await start()
    const direct = await makeRedisApp({ port: server.port, prefix: producer.prefix })
    try {
      const worker = await direct.queue({ queue: 'doubt' })
      await waitForWithdrawal()
      expect(await worker.size('doubt')).toBe(0)
      expect(await worker.pop('doubt', 10)).toEqual([])
      expect(logged.find((line) => /withdrew/.test(line.msg))).toMatchObject({ level: 40, msg: expect.stringMatching(/withdrew 1 job/) })
      expect(appendOnlyText(server.dir)).toContain(body)
    } finally {
      await direct.cleanup({ keepKeys: true })
    }
  })

  it('holds workers off a restarted Redis for a moment, so the producer withdraws the job before any worker claims it', async () => {
    const body = await pushIntoShutdown('race')
    await start()
    // A worker that reaches Redis first: the producer is still between two reconnect attempts.
    const direct = await makeRedisApp({ port: server.port, prefix: producer.prefix })
    try {
      const worker = await direct.queue({ queue: 'race' })
      const claimed: string[] = []
      const until = Date.now() + 3000
      while (Date.now() < until) {
        for (const job of await worker.pop('race', 10)) claimed.push(job.rawBody)
        await sleep(20)
      }
      await waitForWithdrawal()
      expect(claimed).not.toContain(body)
      expect(logged.some((line) => /claimed by a worker/.test(line.msg))).toBe(false)
    } finally {
      await direct.cleanup({ keepKeys: true })
    }
  })

  it('withdraws it too when the push went over the script pipe (kiln-pipe)', async () => {
    const body = await pushIntoShutdown('piped', { viaPipe: true })
    await start()
    const direct = await makeRedisApp({ port: server.port, prefix: producer.prefix })
    try {
      const worker = await direct.queue({ queue: 'piped' })
      await waitForWithdrawal()
      expect(await worker.pop('piped', 10)).toEqual([])
      expect(logged.find((line) => /withdrew/.test(line.msg))).toMatchObject({ level: 40, msg: expect.stringMatching(/withdrew 1 job/) })
      expect(appendOnlyText(server.dir)).toContain(body)
    } finally {
      await direct.cleanup({ keepKeys: true })
    }
  })

  /**
   * Pushes a job to `queue` in the same event-loop turn of Redis as a SIGTERM; returns its payload once
   * the push has failed and Redis is down, after checking that Redis stored it all the same. With
   * `viaPipe`, first pushes until the driver's script pipe is open, so the push goes over it.
   */
  async function pushIntoShutdown(queueName: string, { viaPipe = false } = {}): Promise<string> {
    logged.length = 0
    // The restart hold tells a start by LASTSAVE, in whole seconds: the next start must fall in a later second.
    await sleep(Math.max(0, 1000 - (Date.now() - startedAt)))
    const queue = await producer.queue({ queue: queueName })
    await queue.pushRaw('warm-up')
    if (viaPipe) await openScriptPipe(producer.raw, () => queue.pushRaw('warm-up'))
    for (const job of await queue.pop(queueName, 100)) await job.delete()
    const body = `in-doubt-${queueName}-${Date.now()}`
    blocker = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    blocker.on('error', () => undefined)
    await blocker.connect()
    server.signal('SIGSTOP')
    void blocker.call('DEBUG', 'SLEEP', '0.3').catch(() => undefined)
    const pushed = queue.pushRaw(body).then(
      () => 'answered as stored',
      (error: unknown) => error,
    )
    await sleep(100)
    server.signal('SIGCONT')
    await sleep(100)
    await server.stop()
    expect(await pushed).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
    // The fault was reproduced: the push that failed reached the append-only file.
    expect(appendOnlyText(server.dir)).toContain(body)
    return body
  }

  async function start(): Promise<void> {
    await server.start()
    startedAt = Date.now()
  }

  async function waitForWithdrawal(): Promise<void> {
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && !logged.some((line) => /withdrew|claimed by a worker/.test(line.msg))) await sleep(50)
  }
})

function appendOnlyText(dir: string): string {
  const aof = join(dir, 'appendonlydir')
  return readdirSync(aof)
    .map((file) => readFileSync(join(aof, file), 'latin1'))
    .join('')
}

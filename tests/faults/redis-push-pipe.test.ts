/**
 * The Redis driver's push pipe (redis-push-pipe.ts): once open, pushes travel on a connection of their
 * own ("kiln-push" in CLIENT LIST). Each test runs a redis-server of its own, so it can flush scripts,
 * require a password or freeze the server without touching the shared one.
 */
import { Redis } from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { createRedisQueue, type RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { RespConnectionError, RespPipe, RespTimeoutError, type RespReply } from '../../framework/redis/resp-pipe.ts'
import { freePort, hasRedisServer, openPushPipe, pushPipeClient, RedisServer, sleep } from '../drivers/redis-support.ts'
import { captureLog } from '../support/captured-log.ts'

const PASSWORD = 'pipe-secret'

describe.skipIf(!hasRedisServer())('Redis push pipe', () => {
  let server: RedisServer
  let raw: Redis
  const opened: { app: Application; queue: RedisQueue; basePath: string }[] = []

  beforeAll(async () => {
    server = new RedisServer(await freePort(), ['--requirepass', PASSWORD])
    await server.start()
    raw = new Redis({ port: server.port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 1 })
    raw.on('error', () => undefined)
  })

  // One producer at a time, so the one kiln-push line of CLIENT LIST is this test's pipe.
  afterEach(async () => {
    for (const { app, queue, basePath } of opened.splice(0)) {
      await queue.close()
      await app.shutdown()
      rmSync(basePath, { recursive: true, force: true })
    }
    const deadline = Date.now() + 3000
    while ((await pipeClient()) && Date.now() < deadline) await sleep(20)
  })

  afterAll(async () => {
    raw?.disconnect()
    await server?.destroy()
  })

  /** A producer on database `db` with key prefix `prefix`, authenticated, whose pipe is open. */
  async function producer(options: { db: number; prefix: string; commandTimeout?: number }): Promise<RedisQueue> {
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-push-pipe-'))
    const app = await Application.create({
      basePath,
      loadEnv: false,
      config: {
        redis: {
          options: { prefix: options.prefix, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: options.commandTimeout },
          connections: { default: { host: '127.0.0.1', port: server.port, password: PASSWORD, db: options.db } },
        },
      },
    })
    // The driver reports in-doubt pushes it withdraws to the log.
    captureLog(app)
    const queue = await createRedisQueue('redis', { driver: 'redis', connection: 'default', queue: 'default', retry_after: 60, block_for: 1 }, app)
    opened.push({ app, queue, basePath })
    await openPushPipe(raw, () => queue.pushRaw('opens-the-pipe', 'warm-up'))
    return queue
  }

  function pipeClient(): Promise<Record<string, string> | undefined> {
    return pushPipeClient(raw)
  }

  function pipe(commandTimeout = 2000): RespPipe {
    return new RespPipe({ host: '127.0.0.1', port: server.port, password: PASSWORD, name: 'kiln-test-pipe', connectTimeout: 2000, commandTimeout })
  }

  function send(target: RespPipe, args: string[]): Promise<RespReply | RespConnectionError> {
    return new Promise((resolve) => target.send(args, resolve))
  }

  it('answers thousands of pipelined commands in order, whatever reads their replies arrive in', async () => {
    const target = pipe()
    expect(await target.opened).toBe(true)
    const value = 'x'.repeat(100)
    const replies = await Promise.all(Array.from({ length: 5000 }, () => send(target, ['RPUSH', 'pipe-order', value])))
    expect(replies).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
    expect(await send(target, ['SET', 'pipe-missing', '1', 'XX'])).toBeInstanceOf(RespConnectionError) // a nil bulk reply: not understood
    expect(target.closed).toBe(true)
    await raw.del('pipe-order')
  })

  it('writes a follow-up after a command whose reply timed out, so the server runs it second', async () => {
    const target = pipe(200)
    expect(await target.opened).toBe(true)
    server.signal('SIGSTOP')
    let reply: RespReply | RespConnectionError
    try {
      reply = await new Promise((resolve) =>
        target.send(['RPUSH', 'pipe-follow', 'timed-out'], (answer) => {
          if (answer instanceof RespTimeoutError) answer.followUp(['RPUSH', 'pipe-follow', 'follow-up'])
          resolve(answer)
        }),
      )
    } finally {
      server.signal('SIGCONT')
    }
    expect(reply).toBeInstanceOf(RespTimeoutError)
    const deadline = Date.now() + 2000
    while ((await raw.llen('pipe-follow')) < 2 && Date.now() < deadline) await sleep(20)
    expect(await raw.lrange('pipe-follow', 0, -1)).toEqual(['timed-out', 'follow-up'])
    await raw.del('pipe-follow')
  })

  it('waits for a reply however long it takes when commandTimeout is 0, as ioredis does', async () => {
    const target = pipe(0)
    expect(await target.opened).toBe(true)
    server.signal('SIGSTOP')
    const reply = send(target, ['INCR', 'pipe-patient'])
    try {
      await sleep(300)
    } finally {
      server.signal('SIGCONT')
    }
    expect(await reply).toBe(1)
    expect(target.ready).toBe(true)
    target.close()
    await raw.del('pipe-patient')
  })

  it('authenticates, selects the database, prefixes the keys, and stores pushes in order with consecutive ids', async () => {
    const queue = await producer({ db: 3, prefix: 'pipe-a:' })
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => queue.pushRaw(`together-${i}`, 'orders')))
    for (let i = 0; i < 20; i++) ids.push(await queue.pushRaw(`alone-${i}`, 'orders'))
    expect(await pipeClient()).toMatchObject({ db: '3', cmd: 'evalsha' })
    expect(ids.map(Number)).toEqual(Array.from({ length: 70 }, (_, i) => Number(ids[0]) + i))
    await raw.select(3)
    expect(await raw.llen('pipe-a:queues:{orders}')).toBe(70)
    await raw.select(0)
    const jobs = await queue.pop('orders', 70)
    expect(jobs.map((job) => job.rawBody)).toEqual([...Array.from({ length: 50 }, (_, i) => `together-${i}`), ...Array.from({ length: 20 }, (_, i) => `alone-${i}`)])
    expect(jobs.map((job) => job.id)).toEqual(ids)
  })

  it('stores a push after Redis has lost its scripts (SCRIPT FLUSH)', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-b:' })
    await raw.script('FLUSH')
    const id = await queue.pushRaw('after-flush', 'flushed')
    expect(await pipeClient()).toMatchObject({ cmd: 'evalsha' }) // refused with NOSCRIPT, then sent through ioredis
    const [job] = await queue.pop('flushed')
    expect([job?.id, job?.rawBody]).toEqual([id, 'after-flush'])
  })

  it('stores a push written on a connection the server has closed (CLIENT KILL, or its idle timeout), then opens a new pipe', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-c:' })
    const first = await pipeClient()
    await raw.client('KILL', 'ID', String(first?.id))
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await queue.pushRaw(`after-kill-${i}`, 'killed'))
    const deadline = Date.now() + 3000
    while ((await pipeClient())?.id === first?.id && Date.now() < deadline) await sleep(20)
    ids.push(await queue.pushRaw('on-the-new-pipe', 'killed'))
    expect((await pipeClient())?.id).not.toBe(first?.id)
    expect((await queue.pop('killed', 50)).map((job) => job.id)).toEqual(ids)
  })

  it('fails a push the frozen server never answers, and the job never runs once the server thaws', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-d:', commandTimeout: 400 })
    expect(await pipeClient()).toMatchObject({ cmd: 'evalsha' })
    server.signal('SIGSTOP')
    const started = Date.now()
    try {
      await expect(queue.pushRaw('while-frozen', 'frozen')).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      server.signal('SIGCONT')
    }
    // The frozen server runs the push once it thaws; the withdrawal written after it removes the job.
    await sleep(500)
    const id = await queue.pushRaw('after-thaw', 'frozen')
    const jobs = await queue.pop('frozen', 10)
    expect(jobs.map((job) => [job.id, job.rawBody])).toEqual([[id, 'after-thaw']])
  })
})

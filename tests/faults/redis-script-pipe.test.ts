/**
 * The Redis driver's script pipe (redis-script-pipe.ts): once open, pushes and a worker's claims and
 * ack-and-claim calls travel on a connection of their own ("kiln-pipe" in CLIENT LIST). Each test runs a redis-server
 * of its own, so it can flush scripts, require a password or freeze the server without touching the
 * shared one.
 */
import { Redis } from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import type { ReservedJob } from '../../framework/queue/contracts.ts'
import { createRedisQueue, type RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { RespConnectionError, RespPipe, RespTimeoutError, type RespReply } from '../../framework/redis/resp-pipe.ts'
import { freePort, hasRedisServer, openScriptPipe, pipeClient, RedisServer, sleep } from '../drivers/redis-support.ts'
import { captureLog } from '../support/captured-log.ts'

const PASSWORD = 'pipe-secret'

describe.skipIf(!hasRedisServer())('Redis script pipe', () => {
  let server: RedisServer
  let raw: Redis
  const opened: { app: Application; queue: RedisQueue; basePath: string }[] = []

  beforeAll(async () => {
    server = new RedisServer(await freePort(), ['--requirepass', PASSWORD])
    await server.start()
    raw = new Redis({ port: server.port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 1 })
    raw.on('error', () => undefined)
  })

  // One producer at a time, so the one kiln-pipe line of CLIENT LIST is this test's pipe.
  afterEach(async () => {
    for (const { app, queue, basePath } of opened.splice(0)) {
      await queue.close()
      await app.shutdown()
      rmSync(basePath, { recursive: true, force: true })
    }
    const deadline = Date.now() + 3000
    while ((await listedPipe()) && Date.now() < deadline) await sleep(20)
  })

  afterAll(async () => {
    raw?.disconnect()
    await server?.destroy()
  })

  /** A producer on database `db` with key prefix `prefix`, authenticated, whose pipe is open. */
  async function producer(options: { db: number; prefix: string; commandTimeout?: number; retryAfter?: number }): Promise<RedisQueue> {
    const basePath = mkdtempSync(join(tmpdir(), 'kiln-script-pipe-'))
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
    const queue = await createRedisQueue('redis', { driver: 'redis', connection: 'default', queue: 'default', retry_after: options.retryAfter ?? 60, block_for: 1 }, app)
    opened.push({ app, queue, basePath })
    await openScriptPipe(raw, () => queue.pushRaw('opens-the-pipe', 'warm-up'))
    return queue
  }

  function listedPipe(): Promise<Record<string, string> | undefined> {
    return pipeClient(raw)
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
    await raw.del('pipe-order')
    target.close()
  })

  it('reads array, bulk and nil replies, multi-byte text and "\\r\\n" inside a value included', async () => {
    const target = pipe()
    expect(await target.opened).toBe(true)
    const values = ['plain', 'Zoë 🚀', 'line one\r\nline two', '']
    expect(await send(target, ['RPUSH', 'pipe-values', ...values])).toBe(4)
    expect(await send(target, ['LRANGE', 'pipe-values', '0', '-1'])).toEqual(values)
    expect(await send(target, ['SET', 'pipe-missing', '1', 'XX'])).toBeNull()
    expect(await send(target, ['EVAL', "return {1, {'a', false}, redis.call('LINDEX', KEYS[1], 1)}", '1', 'pipe-values'])).toEqual([1, ['a', null], 'Zoë 🚀'])
    expect(target.ready).toBe(true)
    await raw.del('pipe-values')
    target.close()
  })

  it('reads a reply longer than its read buffer (several reads into one reused buffer) intact', async () => {
    const target = pipe()
    expect(await target.opened).toBe(true)
    const values = Array.from({ length: 6 }, (_, i) => `${i}:` + 'Zoë 🚀 line\r\n'.repeat(4000)) // ~60 KB each, ~360 KB in all
    expect(await send(target, ['RPUSH', 'pipe-long', ...values])).toBe(6)
    const [all, again] = await Promise.all([send(target, ['LRANGE', 'pipe-long', '0', '-1']), send(target, ['LRANGE', 'pipe-long', '0', '-1'])])
    expect(all).toEqual(values)
    expect(again).toEqual(values)
    await raw.del('pipe-long')
    target.close()
  })

  it('refuses a command it cannot encode before writing anything, so the next command still gets its own reply', async () => {
    const target = pipe()
    expect(await target.opened).toBe(true)
    expect(() => target.send(['ECHO', 42 as unknown as string], () => undefined)).toThrow(TypeError)
    expect(await send(target, ['ECHO', 'mine'])).toBe('mine')
    expect(target.idle).toBe(true)
    target.close()
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
    expect(await listedPipe()).toMatchObject({ db: '3', cmd: 'evalsha' })
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
    expect(await listedPipe()).toMatchObject({ cmd: 'evalsha' }) // refused with NOSCRIPT, then sent through ioredis
    const [job] = await queue.pop('flushed')
    expect([job?.id, job?.rawBody]).toEqual([id, 'after-flush'])
  })

  it('stores a push written on a connection the server has closed (CLIENT KILL, or its idle timeout), then opens a new pipe', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-c:' })
    const first = await listedPipe()
    await raw.client('KILL', 'ID', String(first?.id))
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await queue.pushRaw(`after-kill-${i}`, 'killed'))
    const deadline = Date.now() + 3000
    while ((await listedPipe())?.id === first?.id && Date.now() < deadline) await sleep(20)
    ids.push(await queue.pushRaw('on-the-new-pipe', 'killed'))
    expect((await listedPipe())?.id).not.toBe(first?.id)
    expect((await queue.pop('killed', 50)).map((job) => job.id)).toEqual(ids)
  })

  it('fails a push the frozen server never answers, and the job never runs once the server thaws', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-d:', commandTimeout: 400 })
    expect(await listedPipe()).toMatchObject({ cmd: 'evalsha' })
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
  it("claims jobs, acknowledges them and claims the next ones over the pipe, bodies intact, a stale token refused", async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-e:' })
    const bodies = ['first', 'second', 'Zoë 🚀 line one\r\nline two', 'fourth', 'fifth']
    const ids: string[] = []
    for (const body of bodies) ids.push(await queue.pushRaw(body, 'work'))
    // An earlier test flushed the server's scripts: the first pipe call of each script gets NOSCRIPT and
    // goes again through ioredis, which loads it. Warm both scripts up so every call below is the pipe's.
    await Promise.all([queue.pushRaw('w1', 'warm'), queue.pushRaw('w2', 'warm'), queue.pushRaw('w3', 'warm')])
    const [w1, w2] = (await queue.pop('warm', 2)) as [ReservedJob, ReservedJob]
    const [w3] = (await queue.deleteAndPop(w1, 'warm', 1)) as [ReservedJob]
    await queue.deleteManyAndPop([w2, w3], 'warm', 1)
    const pipeAddress = (await listedPipe())?.addr
    const monitor = await raw.monitor()
    const seen: { args: string[]; source: string }[] = []
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }))
    const markers: string[] = [] // what the calls under test carry: the pop's nonce, the acks' tokens
    try {
      const [a, b] = (await queue.pop('work', 2)) as [ReservedJob, ReservedJob]
      const [c, d] = (await queue.deleteManyAndPop([a, b], 'work', 2)) as [ReservedJob, ReservedJob]
      expect([c, d].map((job) => [job.id, job.rawBody, job.attempts])).toEqual([[ids[2], bodies[2], 1], [ids[3], bodies[3], 1]])
      const [e] = await queue.deleteAndPop(c, 'work', 1)
      expect([e?.id, e?.rawBody]).toEqual([ids[4], 'fifth'])
      expect([a.leaseLost, b.leaseLost, c.leaseLost]).toEqual([false, false, false])
      // a was acknowledged already: its token owns nothing now.
      expect(await queue.deleteAndPop(a, 'work', 1)).toEqual([])
      expect(a.leaseLost).toBe(true)
      expect(await queue.size('work')).toBe(2) // d and e, reserved
      // The pop's own argument is the nonce its tokens start with.
      markers.push(a.reservationToken.replace(/\.1$/, ''), a.reservationToken, c.reservationToken)
      await sleep(100)
    } finally {
      monitor.disconnect()
    }
    const calls = seen.filter(({ args, source }) => source !== 'lua' && markers.some((token) => args.includes(token)))
    expect(calls.map(({ args, source }) => [args[0]?.toLowerCase(), source])).toEqual(Array.from({ length: 4 }, () => ['evalsha', pipeAddress]))
  })

  it('claims the next job after the server closed the pipe (CLIENT KILL): nothing is lost or claimed twice', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-g:' })
    const ids: string[] = []
    for (let i = 0; i < 12; i++) ids.push(await queue.pushRaw(`job-${i}`, 'killed-ack'))
    let [job] = await queue.pop('killed-ack')
    const claimed = [job?.id]
    await raw.client('KILL', 'ID', String((await listedPipe())?.id))
    while (job) {
      const previous: ReservedJob = job
      ;[job] = await queue.deleteAndPop(previous, 'killed-ack', 1)
      expect(previous.leaseLost).toBe(false)
      if (job) claimed.push(job.id)
    }
    expect(claimed).toEqual(ids)
    expect(await queue.size('killed-ack')).toBe(0)
  })

  it('fails an ack the frozen server never answers; the job it claimed on thawing comes back after retry_after', async () => {
    const queue = await producer({ db: 0, prefix: 'pipe-f:', commandTimeout: 400, retryAfter: 1 })
    const ids = [await queue.pushRaw('finished', 'frozen-ack'), await queue.pushRaw('next', 'frozen-ack')]
    const [job] = (await queue.pop('frozen-ack')) as [ReservedJob]
    server.signal('SIGSTOP')
    const started = Date.now()
    try {
      await expect(queue.deleteAndPop(job, 'frozen-ack', 1)).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      server.signal('SIGCONT')
    }
    // Thawed, the server ran the ack-and-claim: "finished" is gone, "next" is reserved to a token nobody holds.
    await sleep(1300)
    const again = await queue.pop('frozen-ack')
    expect(again.map((next) => [next.id, next.rawBody, next.attempts])).toEqual([[ids[1], 'next', 2]])
  })
})

/**
 * The Redis driver writes the pushes of one tick together (redis-push-batcher.ts): what a request handler
 * awaiting several dispatches relies on, against the real Redis server.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { probeService, SERVICES } from '../support/services.ts'
import { makeRedisApp, openScriptPipe, sleep, type RedisTestApp } from './redis-support.ts'

const redisUp = await probeService('redis')

describe.skipIf(!redisUp)('Redis queue driver: pushes issued together', () => {
  let ctx: RedisTestApp
  let queue: RedisQueue

  beforeAll(async () => {
    ctx = await makeRedisApp()
    queue = await ctx.queue()
    await queue.size('warm-up') // connected, so the batch is written corked rather than from the offline queue
  })

  afterAll(async () => {
    await ctx?.cleanup()
  })

  it('stores every push of one tick, each resolving with its own job id once stored', async () => {
    const ids = await Promise.all([
      queue.pushRaw('{"n":"payment"}', 'payments'),
      queue.pushRaw('{"n":"invoice"}', 'documents'),
      queue.pushRaw('{"n":"email"}', 'emails', { delay: 5 }),
      queue.pushRaw('{"n":"payment-2"}', 'payments'),
    ])
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true) // ids count per queue
    // Awaited means stored: nothing is left in flight once the promises resolved.
    expect([await queue.size('payments'), await queue.size('documents'), await queue.size('emails')]).toEqual([2, 1, 1])
    const payments = await queue.pop('payments', 2)
    expect(payments.map((job) => [job.id, job.rawBody])).toEqual([
      [ids[0], '{"n":"payment"}'],
      [ids[3], '{"n":"payment-2"}'],
    ])
    const [invoice] = await queue.pop('documents')
    expect([invoice?.id, invoice?.rawBody]).toEqual([ids[1], '{"n":"invoice"}'])
    expect(await queue.pop('emails')).toEqual([]) // delayed 5 s
  })

  it('fails only the push Redis refuses, not the others written with it', async () => {
    // A corrupt id counter makes that queue's push script fail (INCRBY on a non-integer).
    await ctx.raw.set(`${ctx.prefix}queues:{broken}:id`, 'not-a-number')
    const results = await Promise.allSettled([
      queue.pushRaw('{"n":1}', 'fine-a'),
      queue.pushRaw('{"n":2}', 'broken'),
      queue.pushRaw('{"n":3}', 'fine-b'),
      queue.pushRaw('{"n":4}', 'broken'),
      queue.pushRaw('{"n":5}', 'fine-a'),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/not an integer/)
    expect([await queue.size('fine-a'), await queue.size('broken'), await queue.size('fine-b')]).toEqual([2, 0, 1])
  })

  it('stores the pushes of many callers to one queue in one turn, each with its own id, in order', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, (_, n) => queue.pushRaw(`{"n":${n}}`, 'many', n % 2 === 0 ? {} : { delay: 60 })))
    expect(new Set(ids).size).toBe(30)
    const now = await queue.pop('many', 30)
    expect(now.map((job) => [job.id, job.rawBody])).toEqual(ids.flatMap((id, n) => (n % 2 === 0 ? [[id, `{"n":${n}}`]] : [])))
    expect(await queue.pop('many', 30)).toEqual([]) // the other half is delayed
  })

  it('writes a push made while nothing is unanswered at once, before the turn ends (a dispatch awaited on its own waits for no batch)', async () => {
    await openScriptPipe(ctx.raw, () => queue.pushRaw('{"n":"warm"}', 'warm'))
    const pushed = queue.pushRaw('{"n":"lone"}', 'lone')
    // Asked from another process while this one's event loop is still blocked in this turn.
    const waiting = execFileSync('redis-cli', ['-h', SERVICES.redis.host, '-p', String(ctx.port), 'LLEN', `${ctx.prefix}queues:{lone}`], { encoding: 'utf8' })
    expect(waiting.trim()).toBe('1')
    const id = await pushed
    expect((await queue.pop('lone')).map((job) => job.id)).toEqual([id])
  })

  it('sends the pushes made while one is unanswered together, in order', async () => {
    await openScriptPipe(ctx.raw, () => queue.pushRaw('{"n":"warm"}', 'warm'))
    const monitor = await ctx.raw.monitor()
    const bodiesPerCall: number[] = []
    monitor.on('monitor', (_time: string, args: string[]) => {
      const bodies = args.filter((arg) => arg.startsWith('{"n":')).length // the pop that follows carries none
      if (args[0]?.toLowerCase() === 'evalsha' && args.includes(`${ctx.prefix}queues:{grouped}`) && bodies > 0) bodiesPerCall.push(bodies)
    })
    try {
      await sleep(50) // MONITOR is on before the pushes
      const ids = await Promise.all([0, 1, 2, 3].map((n) => queue.pushRaw(`{"n":${n}}`, 'grouped')))
      expect((await queue.pop('grouped', 4)).map((job) => [job.id, job.rawBody])).toEqual(ids.map((id, n) => [id, `{"n":${n}}`]))
      await sleep(50)
    } finally {
      monitor.disconnect()
    }
    // The first went out alone at once; the other three, made while it was unanswered, in one script call.
    expect(bodiesPerCall).toEqual([1, 3])
  })

  it('stores pushes made before the connection is ready (held in the offline queue), in order', async () => {
    const fresh = await makeRedisApp()
    try {
      const cold = await fresh.queue()
      const ids = await Promise.all([cold.pushRaw('{"n":"a"}', 'cold'), cold.pushRaw('{"n":"b"}', 'cold')])
      expect((await cold.pop('cold', 2)).map((job) => [job.id, job.rawBody])).toEqual([
        [ids[0], '{"n":"a"}'],
        [ids[1], '{"n":"b"}'],
      ])
    } finally {
      await fresh.cleanup()
    }
  })
})

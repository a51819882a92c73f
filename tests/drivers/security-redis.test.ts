/**
 * Encrypted and signed payloads on the Redis driver: the secret of an encrypted job appears in no Redis
 * key (queued, reserved, or after it failed) nor in failed_jobs; a payload edited in the jobs hash is
 * failed with E_INVALID_SIGNATURE without running.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import type { Redis } from 'ioredis'
import type { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { probeService } from '../support/services.ts'
import { deleteKeys, keysUnder, makeRedisJobsApp, type RedisJobsApp } from './redis-support.ts'

const SECRET = 'hunter2-correct-horse-battery'
const calls: string[] = []

class StoreToken extends QueuedJob {
  static shouldBeEncrypted = true
  constructor(public token: string) {
    super()
  }
  handle() {
    calls.push(this.token)
  }
}

class RejectToken extends StoreToken {
  override tries = 1
  override handle(): void {
    throw new Error('token rejected')
  }
}

const redisUp = await probeService('redis')

describe.runIf(redisUp)('signed and encrypted payloads on the Redis driver', () => {
  let ctx: RedisJobsApp
  let app: Application
  let db: Knex
  let queue: QueueDriver
  let raw: Redis
  let prefix: string

  beforeAll(async () => {
    ctx = await makeRedisJobsApp({ cache: 'memory' })
    ;({ app, db, queue, raw, prefix } = ctx)
    for (const cls of [StoreToken, RejectToken]) app.make('jobs').register(cls)
  }, 60_000)

  afterAll(async () => {
    await ctx?.cleanup()
  })

  beforeEach(async () => {
    calls.length = 0
    await deleteKeys(raw, prefix)
    await db('failed_jobs').delete()
  })

  /** Every value stored under this suite's prefix, whatever the key's type. */
  async function everythingInRedis(): Promise<string> {
    const dump: string[] = []
    for (const key of await keysUnder(raw, prefix)) {
      const type = await raw.type(key)
      if (type === 'string') dump.push(String(await raw.get(key)))
      if (type === 'hash') dump.push(JSON.stringify(await raw.hgetall(key)))
      if (type === 'list') dump.push(...(await raw.lrange(key, 0, -1)))
      if (type === 'zset') dump.push(...(await raw.zrange(key, 0, -1)))
      if (type === 'set') dump.push(...(await raw.smembers(key)))
    }
    return dump.join('\n')
  }

  async function jobsHash(): Promise<string> {
    const keys = (await keysUnder(raw, prefix)).filter((key) => key.endsWith(':jobs'))
    expect(keys).toHaveLength(1)
    return keys[0] ?? ''
  }

  it('never stores the secret of an encrypted job in Redis, queued or reserved', async () => {
    await StoreToken.dispatch(SECRET)
    const queued = await everythingInRedis()
    expect(queued).toContain('StoreToken')
    expect(queued).not.toContain(SECRET)
    const [reserved] = await queue.pop('default', 1)
    expect(await everythingInRedis()).not.toContain(SECRET)
    await processJob(app, reserved!, workerOptions({ sleep: 0 }))
    expect(calls).toEqual([SECRET])
  })

  it('keeps the secret out of Redis and failed_jobs when the job fails', async () => {
    await RejectToken.dispatch(SECRET)
    const [reserved] = await queue.pop('default', 1)
    const result = await processJob(app, reserved!, workerOptions({ sleep: 0 }))
    expect(result.decision.action).toBe('fail')
    const failed = await db('failed_jobs').select('payload', 'exception')
    expect(failed).toHaveLength(1)
    expect(JSON.stringify(failed)).not.toContain(SECRET)
    expect(await everythingInRedis()).not.toContain(SECRET)
  })

  it('fails a payload edited in the jobs hash with E_INVALID_SIGNATURE and never runs it', async () => {
    await StoreToken.dispatch(SECRET)
    const hash = await jobsHash()
    const [[id, body]] = Object.entries(await raw.hgetall(hash)) as [[string, string]]
    await raw.hset(hash, id, body.replace('"maxTries":null', '"maxTries":99'))
    const [reserved] = await queue.pop('default', 1)
    const result = await processJob(app, reserved!, workerOptions({ sleep: 0 }))
    expect(result.error).toMatchObject({ code: 'E_INVALID_SIGNATURE', defect: 'mismatch' })
    expect(calls).toEqual([])
    expect(await db('failed_jobs').count({ n: '*' })).toEqual([{ n: 1 }])
  })
})

/**
 * The job middleware on real cache stores: memory, database (SQLite, and PostgreSQL when reachable) and
 * redis. Each store gets its own Application (the middleware reach the cache through it, as on a worker)
 * and real Job subclasses run through their middleware() the way the worker pipeline runs them, with
 * release/delete/fail recorded by bindJobRuntime.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import cacheMigration from '../../database/migrations/0001_01_01_000001_create_cache_table.ts'
import type { CacheConfig } from '../../framework/cache/config.ts'
import { Limit, RateLimiter } from '../../framework/cache/rate-limiter.ts'
import type { ConfigOverrides } from '../../framework/foundation/config.ts'
import { Application } from '../../framework/foundation/application.ts'
import { bindJobRuntime, QueuedJob, type Job, type JobMiddleware, type JobRuntimeState } from '../../framework/queue/job.ts'
import { RateLimited, ThrottlesExceptions, WithoutOverlapping } from '../../framework/queue/middleware/index.ts'
import { createTestDatabase, probeService, SERVICES, type SqlEngine, type TestDatabase } from '../support/services.ts'

/** A job whose middleware and work each test chooses; `key` is what limiters count by. */
class Probe extends QueuedJob {
  constructor(
    public layers: () => JobMiddleware[],
    public work: () => void | Promise<void> = () => undefined,
    public key = 'user-1',
  ) {
    super()
  }
  override middleware(): JobMiddleware[] {
    return this.layers()
  }
  async handle() {
    await this.work()
  }
}

/** A second job class, to tell per-class keys from shared ones. */
class OtherProbe extends Probe {}

class ApiDown extends Error {}
class RecordGone extends Error {}

const suffix = randomBytes(4).toString('hex')
const EMAILS = `emails-${suffix}`
const DUAL = `dual-${suffix}`
const OPEN = `open-${suffix}`
const BRIEF = `brief-${suffix}`
RateLimiter.for(EMAILS, (job: Probe) => Limit.perMinute(2).by(job.key))
RateLimiter.for(DUAL, (job: Probe) => [Limit.perMinute(1).by(job.key), Limit.perMinute(3).by('everyone')])
RateLimiter.for(OPEN, () => Limit.none())
RateLimiter.for(BRIEF, (job: Probe) => Limit.perSecond(1, 1).by(job.key))

interface Run {
  ran: boolean
  state: JobRuntimeState
  error: Error | null
}

/** Runs one attempt as the worker pipeline does: bind the runtime, middleware around handle(). */
async function run(job: Job, uuid: string = randomUUID()): Promise<Run> {
  let ran = false
  const state = bindJobRuntime(job, { id: '1', uuid, queue: 'default', connection: 'test', attempts: 1, signal: new AbortController().signal })
  const layers = job.middleware?.() ?? []
  const step = async (index: number): Promise<void> => {
    const layer = layers[index]
    if (!layer) {
      ran = true
      return void (await job.handle())
    }
    await layer.handle(job, () => step(index + 1))
  }
  try {
    await step(0)
    return { ran, state, error: null }
  } catch (error) {
    return { ran, state, error: error as Error }
  }
}

interface StoreSetup {
  label: string
  open(): Promise<{ cache: CacheConfig; extra?: ConfigOverrides; ready?(app: Application): Promise<void>; drop?(): Promise<void> }>
}

const basePath = mkdtempSync(join(tmpdir(), 'kiln-middleware-'))
afterAll(() => rmSync(basePath, { recursive: true, force: true }))

const setups: StoreSetup[] = [{ label: 'memory', open: async () => ({ cache: { default: 'memory', stores: { memory: { driver: 'memory' } }, prefix: 'mw_' } }) }]
const sqlEngines: SqlEngine[] = ['sqlite']
if (await probeService('pgsql')) sqlEngines.push('pgsql')
for (const engine of sqlEngines) {
  setups.push({
    label: `database (${engine})`,
    open: async () => {
      const database: TestDatabase = await createTestDatabase(engine)
      return {
        cache: { default: 'database', stores: { database: { driver: 'database', table: 'cache' } }, prefix: 'mw_' },
        extra: { database: { default: 'test', connections: { test: database.config }, migrations: { table: 'migrations' } } },
        ready: async (app) => cacheMigration.up(await app.make('db').connection()),
        drop: () => database.drop(),
      }
    },
  })
}
if (await probeService('redis')) {
  setups.push({
    label: 'redis',
    open: async () => ({
      cache: { default: 'redis', stores: { redis: { driver: 'redis', connection: 'cache' } }, prefix: `kiln_mw_test_${suffix}:` },
      extra: { redis: { connections: { cache: { host: SERVICES.redis.host, port: SERVICES.redis.port, db: 0 } } } },
    }),
  })
}

describe.each(setups)('job middleware on the $label cache store', (setup) => {
  let app: Application
  let drop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    const opened = await setup.open()
    app = await Application.create({ basePath, loadEnv: false, config: { ...opened.extra, cache: opened.cache } })
    await opened.ready?.(app)
    drop = opened.drop
  })
  afterAll(async () => {
    await app?.make('cache').store().flush()
    await app?.shutdown()
    await drop?.()
  })
  beforeEach(async () => {
    await app.make('cache').store().flush()
  })

  describe('RateLimited', () => {
    it('runs jobs up to the limit, then releases (never fails) the rest until the window reopens', async () => {
      const handled: string[] = []
      const job = (key: string) => new Probe(() => [new RateLimited(EMAILS)], () => void handled.push(key), key)
      const results = [await run(job('ada')), await run(job('ada')), await run(job('ada')), await run(job('bob'))]
      expect(handled).toEqual(['ada', 'ada', 'bob'])
      const blocked = results[2]!
      expect(blocked.ran).toBe(false)
      expect(blocked.error).toBeNull()
      expect(blocked.state.failed).toBeNull()
      expect(blocked.state.deleted).toBe(false)
      // Back when the one-minute window reopens (plus a second's margin), not sooner and not much later.
      expect(blocked.state.released).toBeGreaterThanOrEqual(55)
      expect(blocked.state.released).toBeLessThanOrEqual(62)
      expect(results[0]!.state.released).toBeNull()
    })

    it('deletes over-limit jobs instead with dontRelease()', async () => {
      const job = () => new Probe(() => [new RateLimited(EMAILS).dontRelease()])
      await run(job())
      await run(job())
      const third = await run(job())
      expect(third.ran).toBe(false)
      expect(third.state.deleted).toBe(true)
      expect(third.state.released).toBeNull()
    })

    it('stops at the first exceeded limit, so a job that does not run spends nothing from the others', async () => {
      const handled: string[] = []
      const job = (key: string) => new Probe(() => [new RateLimited(DUAL)], () => void handled.push(key), key)
      await run(job('ada'))
      const blocked = await run(job('ada'))
      await run(job('bob'))
      await run(job('cy'))
      const overGlobal = await run(job('dee'))
      expect(blocked.state.released).toBeGreaterThan(0)
      expect(handled).toEqual(['ada', 'bob', 'cy'])
      expect(overGlobal.ran).toBe(false)
      expect(overGlobal.state.released).toBeGreaterThan(0)
    })

    it('runs every job when the limiter answers Limit.none()', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => run(new Probe(() => [new RateLimited(OPEN)]))))
      expect(results.every((result) => result.ran && result.state.released === null)).toBe(true)
    })

    it('lets a released job run once it comes back after the delay it was given', async () => {
      const first = await run(new Probe(() => [new RateLimited(BRIEF)]))
      const second = await run(new Probe(() => [new RateLimited(BRIEF)]))
      expect(first.ran).toBe(true)
      expect(second.ran).toBe(false)
      expect(second.state.released).toBeGreaterThanOrEqual(1)
      expect(second.state.released).toBeLessThanOrEqual(3)
      await sleep(second.state.released! * 1000)
      expect((await run(new Probe(() => [new RateLimited(BRIEF)]))).ran).toBe(true)
    })

    it('refuses a limiter this process never defined, naming it (the job errors rather than running unlimited)', async () => {
      const result = await run(new Probe(() => [new RateLimited('never-defined')]))
      expect(result.ran).toBe(false)
      expect(result.error).toMatchObject({ code: 'E_UNKNOWN_RATE_LIMITER' })
    })
  })

  describe('ThrottlesExceptions', () => {
    it('rethrows errors below the threshold with the backoff (in minutes), then releases without running for the rest of the window', async () => {
      let calls = 0
      const job = () =>
        new Probe(
          () => [new ThrottlesExceptions(2, 120).backoff(5)],
          () => {
            calls++
            throw new ApiDown('api down')
          },
        )
      const first = await run(job())
      const second = await run(job())
      expect(first.error).toBeInstanceOf(ApiDown)
      expect(first.state.released).toBe(300)
      expect(second.error).toBeInstanceOf(ApiDown)
      const throttled = await run(job())
      expect(calls).toBe(2)
      expect(throttled.ran).toBe(false)
      expect(throttled.error).toBeNull()
      expect(throttled.state.released).toBeGreaterThanOrEqual(110)
      expect(throttled.state.released).toBeLessThanOrEqual(122)
    })

    it('leaves the delay to the job\'s own backoff when no backoff is given', async () => {
      const failing = await run(new Probe(() => [new ThrottlesExceptions(3, 60)], () => Promise.reject(new ApiDown('down'))))
      expect(failing.error).toBeInstanceOf(ApiDown)
      expect(failing.state.released).toBeNull()
    })

    it('forgets the errors after a success', async () => {
      const layers = () => [new ThrottlesExceptions(2, 60)]
      const fail = () => run(new Probe(layers, () => Promise.reject(new ApiDown('down'))))
      await fail()
      await run(new Probe(layers))
      await fail()
      const afterSuccess = await run(new Probe(layers, () => Promise.reject(new ApiDown('still down'))))
      // Two errors in the window, but a success in between: the threshold was never reached.
      expect(afterSuccess.ran).toBe(true)
      expect((await run(new Probe(layers))).ran).toBe(false)
    })

    it('only throttles errors matching when(); others are rethrown and not counted', async () => {
      const layers = () => [new ThrottlesExceptions(1, 60).when((error) => error instanceof ApiDown)]
      for (let i = 0; i < 3; i++) {
        const result = await run(new Probe(layers, () => Promise.reject(new TypeError('bug'))))
        expect(result.ran).toBe(true)
        expect(result.error).toBeInstanceOf(TypeError)
      }
      await run(new Probe(layers, () => Promise.reject(new ApiDown('down'))))
      expect((await run(new Probe(layers))).ran).toBe(false)
    })

    it('deletes on deleteWhen() errors and fails on failWhen() errors, without rethrowing', async () => {
      const layers = () => [new ThrottlesExceptions(5, 60).deleteWhen(RecordGone).failWhen((error) => error.message === 'fatal')]
      const deleted = await run(new Probe(layers, () => Promise.reject(new RecordGone('gone'))))
      expect(deleted.error).toBeNull()
      expect(deleted.state.deleted).toBe(true)
      const failed = await run(new Probe(layers, () => Promise.reject(new Error('fatal'))))
      expect(failed.error).toBeNull()
      expect(failed.state.failed?.message).toBe('fatal')
    })

    it('counts per job class by default, per key with by(), per dispatched job with byJob()', async () => {
      const boom = () => Promise.reject(new ApiDown('down'))
      await run(new Probe(() => [new ThrottlesExceptions(1, 60)], boom))
      expect((await run(new OtherProbe(() => [new ThrottlesExceptions(1, 60)]))).ran).toBe(true)
      expect((await run(new Probe(() => [new ThrottlesExceptions(1, 60)]))).ran).toBe(false)

      await run(new Probe(() => [new ThrottlesExceptions(1, 60).by('stripe')], boom))
      expect((await run(new OtherProbe(() => [new ThrottlesExceptions(1, 60).by('stripe')]))).ran).toBe(false)

      const uuid = randomUUID()
      await run(new OtherProbe(() => [new ThrottlesExceptions(1, 60).byJob()], boom), uuid)
      expect((await run(new OtherProbe(() => [new ThrottlesExceptions(1, 60).byJob()]))).ran).toBe(true)
      expect((await run(new OtherProbe(() => [new ThrottlesExceptions(1, 60).byJob()]), uuid)).ran).toBe(false)
    })
  })

  describe('WithoutOverlapping', () => {
    it('releases a job whose key is running, runs other keys, and frees the key when the job finishes', async () => {
      let finish!: () => void
      const gate = new Promise<void>((resolve) => (finish = resolve))
      const handled: string[] = []
      const job = (key: string, work: () => void | Promise<void> = () => undefined) =>
        new Probe(() => [new WithoutOverlapping(key).releaseAfter(7)], async () => (await work(), void handled.push(key)), key)

      const running = run(job('order-1', () => gate))
      await sleep(100)
      const overlapping = await run(job('order-1'))
      const other = await run(job('order-2'))
      expect(overlapping.ran).toBe(false)
      expect(overlapping.state.released).toBe(7)
      expect(other.ran).toBe(true)
      finish()
      expect((await running).ran).toBe(true)
      expect((await run(job('order-1'))).ran).toBe(true)
      expect(handled).toEqual(['order-2', 'order-1', 'order-1'])
    })

    it('releases at once by default and deletes with dontRelease()', async () => {
      let finish!: () => void
      const gate = new Promise<void>((resolve) => (finish = resolve))
      const running = run(new Probe(() => [new WithoutOverlapping('k')], () => gate))
      await sleep(100)
      expect((await run(new Probe(() => [new WithoutOverlapping('k')]))).state.released).toBe(0)
      const dropped = await run(new Probe(() => [new WithoutOverlapping('k').dontRelease()]))
      expect(dropped.ran).toBe(false)
      expect(dropped.state.deleted).toBe(true)
      finish()
      await running
    })

    it('frees the key when the job throws', async () => {
      const failed = await run(new Probe(() => [new WithoutOverlapping('k')], () => Promise.reject(new Error('boom'))))
      expect(failed.error?.message).toBe('boom')
      expect((await run(new Probe(() => [new WithoutOverlapping('k')]))).ran).toBe(true)
    })

    it('keeps keys per job class unless shared()', async () => {
      let finish!: () => void
      const gate = new Promise<void>((resolve) => (finish = resolve))
      const running = run(new Probe(() => [new WithoutOverlapping('k').shared()], () => gate))
      await sleep(100)
      expect((await run(new OtherProbe(() => [new WithoutOverlapping('k')]))).ran).toBe(true)
      expect((await run(new OtherProbe(() => [new WithoutOverlapping('k').shared()]))).ran).toBe(false)
      finish()
      await running
    })

    it('lets the lock expire after expireAfter() so a dead owner cannot hold the key forever', async () => {
      let finish!: () => void
      const gate = new Promise<void>((resolve) => (finish = resolve))
      const running = run(new Probe(() => [new WithoutOverlapping('k').expireAfter(1)], () => gate))
      await sleep(100)
      expect((await run(new Probe(() => [new WithoutOverlapping('k')]))).ran).toBe(false)
      // Whole-second expirations (the database store rounds up) may keep it up to two seconds.
      let ranAfterExpiry = false
      for (let i = 0; i < 30 && !ranAfterExpiry; i++) {
        await sleep(200)
        ranAfterExpiry = (await run(new Probe(() => [new WithoutOverlapping('k')]))).ran
      }
      expect(ranAfterExpiry).toBe(true)
      finish()
      await running
    })
  })
})

/**
 * Signed and encrypted payloads through the real path: dispatch -> database driver (every reachable
 * engine: SQLite, PostgreSQL, MariaDB) -> worker pipeline -> failed_jobs. A tampered or unsigned payload is failed without its handler running; an
 * encrypted job's secret is never in the stored rows or the events; a payload signed or encrypted with a
 * key from APP_PREVIOUS_KEYS still runs; `__proto__` keys in job data pollute nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import { Encrypter } from '../../framework/encryption/encrypter.ts'
import { KeyRing } from '../../framework/encryption/key-ring.ts'
import { Signer } from '../../framework/encryption/signer.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { JobFailed, JobProcessing } from '../../framework/queue/events.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { payloadSecurityOf, resealPayload, type PayloadSecurity } from '../../framework/queue/payload-security.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import jobsMigration from '../../database/migrations/0001_01_01_000002_create_jobs_table.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const SECRET = '4111-1111-1111-1111'
const calls: string[] = []
const instances: object[] = []

class Spy extends QueuedJob {
  constructor(public label: string) {
    super()
  }
  handle() {
    instances.push(this)
    calls.push(`spy:${this.label}`)
  }
}

class Other extends QueuedJob {
  handle() {
    calls.push('other')
  }
}

class Charge extends QueuedJob {
  static shouldBeEncrypted = true
  constructor(public card: string) {
    super()
  }
  handle() {
    calls.push(`charge:${this.card}`)
  }
}

class DeclinedCharge extends Charge {
  override tries = 1
  override handle(): void {
    throw new Error('card declined')
  }
}

const oldKey = generateKey()
const currentKey = generateKey()

function securityFor(key: string): PayloadSecurity {
  const keys = KeyRing.fromConfig({ key })
  return { signer: new Signer(keys), encrypter: new Encrypter(keys) }
}

const engines = await availableEngines()

describe.each(engines)('signed and encrypted payloads on the database driver (%s)', (engine) => {
  let database: TestDatabase
  let temp: TempApp
  let app: Application
  let db: Knex
  let queue: QueueDriver
  const options = workerOptions({ tries: 3, sleep: 0 })

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    temp = makeTempApp()
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: {
        app: { key: currentKey, previousKeys: [oldKey] },
        database: { default: 'test', connections: { test: database.config } },
        queue: { default: 'database', failed: { driver: 'database', database: 'test', table: 'failed_jobs' } },
        cache: { default: 'memory' },
      },
    })
    db = await app.make('db').connection()
    await jobsMigration.up(db)
    await failedMigration.up(db)
    for (const cls of [Spy, Other, Charge, DeclinedCharge]) app.make('jobs').register(cls)
    queue = await app.make('queue').connection('database')
  }, 60_000)

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    temp?.cleanup()
  })

  beforeEach(async () => {
    calls.length = 0
    instances.length = 0
    await db('jobs').delete()
    await db('failed_jobs').delete()
  })

  async function runNext() {
    const [reserved] = await queue.pop('default', 1)
    if (!reserved) throw new Error('nothing to pop')
    return processJob(app, reserved, options)
  }

  async function storedPayload(): Promise<string> {
    const rows = await db('jobs').select('payload')
    expect(rows).toHaveLength(1)
    return String(rows[0]?.payload)
  }

  /** Rewrites the one stored job as an attacker with write access to the jobs table would. */
  async function tamper(change: (raw: string) => string): Promise<string> {
    const changed = change(await storedPayload())
    await db('jobs').update({ payload: changed })
    return changed
  }

  function edit(mutate: (fields: Record<string, unknown>) => void): (raw: string) => string {
    return (raw) => {
      const fields = JSON.parse(raw) as Record<string, unknown>
      mutate(fields)
      return JSON.stringify(fields)
    }
  }

  describe('signatures', () => {
    it('signs every dispatched payload and runs it', async () => {
      await Spy.dispatch('a')
      expect(JSON.parse(await storedPayload()).signature).toMatch(/^v1\./)
      const result = await runNext()
      expect(result.decision.action).toBe('ack')
      expect(calls).toEqual(['spy:a'])
    })

    it.each([
      ['a flipped byte in the data', 'mismatch', (raw: string) => raw.replace('"label":"a"', '"label":"b"')],
      ['a changed job name', 'mismatch', edit((fields) => Object.assign(fields, { job: 'Other', displayName: 'Other' }))],
      ['raised maxTries', 'mismatch', edit((fields) => (fields.maxTries = 1000))],
      ['a retryUntil moved into the future', 'mismatch', edit((fields) => (fields.retryUntil = 4102444800))],
      ['an added field', 'mismatch', edit((fields) => (fields.chained = []))],
      ['the signature removed', 'missing', edit((fields) => delete fields.signature)],
      ['a signature made with another key', 'unknown-key', edit((fields) => (fields.signature = JSON.parse(encodeJob(new Spy('a'), {}, securityFor(generateKey())).payload).signature))],
    ])('fails a payload with %s (E_INVALID_SIGNATURE, %s) and never runs it', async (_label, defect, change) => {
      await Spy.dispatch('a')
      const tampered = await tamper(change)
      const result = await runNext()
      expect(result.decision.action).toBe('fail')
      expect(result.error).toMatchObject({ code: 'E_INVALID_SIGNATURE', defect })
      expect(result.error?.message).toContain('invalid signature')
      expect(calls).toEqual([])
      const failed = await db('failed_jobs').select('payload', 'exception')
      expect(failed).toHaveLength(1)
      expect(failed[0]?.payload).toBe(tampered)
      expect(failed[0]?.exception).toMatch(/E_INVALID_SIGNATURE.*invalid signature/)
      // PostgreSQL returns COUNT(*) as a string, so compare numbers.
      expect((await db('jobs').count({ n: '*' })).map((row) => Number(row.n))).toEqual([0])
    })

    it('fails an unsigned payload from a producer without APP_KEY (invalid signature: missing)', async () => {
      await queue.pushRaw(encodeJob(new Spy('unsigned'), {}, { signer: null, encrypter: null }).payload)
      const result = await runNext()
      expect(result.error).toMatchObject({ code: 'E_INVALID_SIGNATURE', defect: 'missing' })
      expect(calls).toEqual([])
    })

    it('runs a payload signed with a key listed in APP_PREVIOUS_KEYS', async () => {
      await queue.pushRaw(encodeJob(new Spy('rotated'), {}, securityFor(oldKey)).payload)
      expect((await runNext()).decision.action).toBe('ack')
      expect(calls).toEqual(['spy:rotated'])
    })

    it('does not count the driver-side attempts counter as tampering (it is not in the payload)', async () => {
      await Spy.dispatch('a')
      await db('jobs').update({ attempts: 0 })
      expect((await runNext()).decision.action).toBe('ack')
    })
  })

  describe('encrypted jobs', () => {
    it('stores only ciphertext, and the handler gets the plaintext back', async () => {
      await Charge.dispatch(SECRET)
      const raw = await storedPayload()
      expect(raw).not.toContain(SECRET)
      expect(raw).not.toContain('1111')
      expect(JSON.parse(raw)).toMatchObject({ job: 'Charge', encrypted: true, data: expect.stringMatching(/^v1\./) })
      const seen: string[] = []
      const off = app.make('events').listen(JobProcessing, (event) => void seen.push(JSON.stringify(event.payload)))
      await runNext()
      off()
      expect(calls).toEqual([`charge:${SECRET}`])
      expect(seen.join('')).not.toContain(SECRET)
    })

    it('keeps the secret out of failed_jobs (payload and exception) and the JobFailed event', async () => {
      await DeclinedCharge.dispatch(SECRET)
      const seen: string[] = []
      const off = app.make('events').listen(JobFailed, (event) => void seen.push(JSON.stringify(event.payload)))
      const result = await runNext()
      off()
      expect(result.decision.action).toBe('fail')
      const failed = await db('failed_jobs').select('payload', 'exception')
      expect(failed).toHaveLength(1)
      expect(JSON.stringify(failed)).not.toContain(SECRET)
      expect(JSON.stringify(failed)).not.toContain('1111')
      expect(String(failed[0]?.exception)).toContain('card declined')
      expect(seen).toHaveLength(1)
      expect(seen.join('')).not.toContain(SECRET)
    })

    it('decrypts a job encrypted with a key listed in APP_PREVIOUS_KEYS', async () => {
      await queue.pushRaw(encodeJob(new Charge(SECRET), {}, securityFor(oldKey)).payload)
      expect((await runNext()).decision.action).toBe('ack')
      expect(calls).toEqual([`charge:${SECRET}`])
    })

    it('fails a tampered ciphertext with E_DECRYPTION_FAILED even when the signature was recomputed', async () => {
      await Charge.dispatch(SECRET)
      await tamper((raw) => {
        const fields = JSON.parse(raw) as Record<string, unknown>
        const parts = String(fields.data).split('.')
        const body = parts[3] ?? ''
        parts[3] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1)
        fields.data = parts.join('.')
        return resealPayload(fields, payloadSecurityOf(app))
      })
      const result = await runNext()
      expect(result.decision.action).toBe('fail')
      expect(result.error).toMatchObject({ code: 'E_DECRYPTION_FAILED' })
      expect(calls).toEqual([])
    })

    it('refuses to dispatch an encrypted job without APP_KEY (E_MISSING_APP_KEY) instead of storing plaintext', () => {
      const keyless = KeyRing.fromConfig({ key: '' })
      expect(() => encodeJob(new Charge(SECRET), {}, { signer: new Signer(keyless), encrypter: new Encrypter(keyless) })).toThrow(
        expect.objectContaining({ code: 'E_MISSING_APP_KEY' }),
      )
      expect(() => encodeJob(new Charge(SECRET), {}, { signer: null, encrypter: null })).toThrow(expect.objectContaining({ code: 'E_MISSING_APP_KEY' }))
    })
  })

  describe('prototype pollution', () => {
    it('runs a validly signed job whose data carries __proto__ / constructor.prototype keys without polluting anything', async () => {
      await Spy.dispatch('p')
      await tamper((raw) => {
        const fields = JSON.parse(raw) as Record<string, unknown>
        fields.data = JSON.parse(
          '{"label":"p","__proto__":{"polluted":"yes","handle":"x"},"constructor":{"prototype":{"polluted":"yes"}},"nested":{"__proto__":{"polluted":"yes"}},"list":[{"__proto__":{"polluted":"yes"}}]}',
        )
        Object.defineProperty(fields, '__proto__', { value: { polluted: 'yes' }, enumerable: true, configurable: true, writable: true })
        return resealPayload(fields, payloadSecurityOf(app))
      })
      expect(await storedPayload()).toContain('"__proto__"')
      const result = await runNext()
      expect(result.decision.action).toBe('ack')
      expect(calls).toEqual(['spy:p'])
      const job = instances[0] as Spy & Record<string, unknown>
      expect(Object.getPrototypeOf(job)).toBe(Spy.prototype)
      expect(job.constructor).toBe(Spy)
      expect((job.nested as object | undefined) && Object.getPrototypeOf(job.nested)).toBe(Object.prototype)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(Object.prototype).not.toHaveProperty('polluted')
      expect(Spy.prototype).not.toHaveProperty('polluted')
      expect(QueuedJob.prototype).not.toHaveProperty('polluted')
    })
  })
})

/**
 * As a user sees it: `craft queue:work` on a SQLite app with an APP_KEY. An encrypted job's secret is in
 * none of the jobs / failed_jobs rows, the worker's output, the log file or `craft queue:failed`; a
 * tampered payload is failed with "invalid signature" and its handler (which would write a file) never
 * runs; rotating APP_KEY with the old key in APP_PREVIOUS_KEYS keeps queued jobs running.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import { Encrypter } from '../../framework/encryption/encrypter.ts'
import { KeyRing } from '../../framework/encryption/key-ring.ts'
import { Signer } from '../../framework/encryption/signer.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import type { PayloadSecurity } from '../../framework/queue/payload-security.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import { runCraft, type CraftResult } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const SECRET = 'sk_live_51TopSecretValue'

// The worker loads the real classes from the temp app's app/Jobs; these twins only encode payloads.
class ChargeCard extends QueuedJob {
  static shouldBeEncrypted = true
  constructor(
    public card: string,
    public marker: string,
  ) {
    super()
  }
  handle() {}
}

const JOB_FILE = `import { writeFileSync } from 'node:fs'
import { QueuedJob } from '#kiln/queue/job'

export class ChargeCard extends QueuedJob {
  static shouldBeEncrypted = true
  tries = 1
  constructor(public card: string, public marker: string) {
    super()
  }
  handle() {
    writeFileSync(this.marker, 'ran')
    throw new Error('card declined')
  }
}
`

function security(key: string, previousKeys: string[] = []): PayloadSecurity {
  const keys = KeyRing.fromConfig({ key, previousKeys })
  return { signer: new Signer(keys), encrypter: new Encrypter(keys) }
}

describe('security through craft queue:work and queue:failed', () => {
  let temp: TempApp
  let app: Application
  let db: Knex
  let env: Record<string, string>
  const key = generateKey()
  let markers = 0

  beforeAll(async () => {
    temp = makeTempApp({ copy: ['database/migrations'] })
    mkdirSync(temp.path('app', 'Jobs'), { recursive: true })
    writeFileSync(temp.path('app', 'Jobs', 'ChargeCard.ts'), JOB_FILE)
    const file = temp.path('database', 'test.sqlite')
    env = { APP_ENV: 'testing', APP_KEY: key, APP_PREVIOUS_KEYS: '', DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: file, QUEUE_CONNECTION: 'database', QUEUE_FAILED_DRIVER: 'database', CACHE_STORE: 'database', LOG_CHANNEL: 'stack', LOG_LEVEL: 'debug' }
    const migrated = await craft(['migrate', '--force'])
    expect(migrated.code, migrated.stderr).toBe(0)
    app = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { app: { key, previousKeys: [] }, database: { default: 'sqlite', connections: { sqlite: { driver: 'sqlite', database: file } } } } })
    db = await app.make('db').connection()
  }, 90_000)

  afterAll(async () => {
    await app?.shutdown()
    temp?.cleanup()
  })

  beforeEach(async () => {
    await db('jobs').delete()
    await db('failed_jobs').delete()
  })

  function craft(args: string[], extra: Record<string, string> = {}): Promise<CraftResult> {
    return runCraft(args, { basePath: temp.basePath, env: { ...env, ...extra }, timeoutMs: 60_000 })
  }

  function marker(): string {
    return temp.path('storage', `ran-${++markers}`)
  }

  async function push(payload: string): Promise<void> {
    await (await app.make('queue').connection('database')).pushRaw(payload)
  }

  function logs(): string {
    const dir = temp.path('storage', 'logs')
    return existsSync(dir) ? readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8')).join('\n') : ''
  }

  it('shows the secret of a failed encrypted job nowhere: rows, worker output, logs, queue:failed', async () => {
    const ran = marker()
    await push(encodeJob(new ChargeCard(SECRET, ran), {}, security(key)).payload)
    expect(JSON.stringify(await db('jobs').select('*'))).not.toContain(SECRET)

    const worked = await craft(['queue:work', '--stop-when-empty', '--sleep=0'])
    expect(worked.code, worked.stderr).toBe(0)
    expect(existsSync(ran)).toBe(true) // it did run (and fail), with the decrypted data
    const failed = await db('failed_jobs').select('*')
    expect(failed).toHaveLength(1)
    expect(String(failed[0]?.exception)).toContain('card declined')

    const listed = await craft(['queue:failed'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('ChargeCard')
    expect(worked.stdout).toContain('ChargeCard')
    for (const text of [JSON.stringify(failed), worked.stdout, worked.stderr, listed.stdout, listed.stderr, logs()]) expect(text).not.toContain(SECRET)
  })

  it('fails a tampered payload with "invalid signature" and never runs its handler', async () => {
    const ran = marker()
    const payload = JSON.parse(encodeJob(new ChargeCard(SECRET, ran), {}, security(key)).payload) as Record<string, unknown>
    payload.maxTries = 50
    await push(JSON.stringify(payload))

    const worked = await craft(['queue:work', '--stop-when-empty', '--sleep=0'])
    expect(worked.code, worked.stderr).toBe(0)
    expect(existsSync(ran)).toBe(false)
    const failed = await db('failed_jobs').select('exception')
    expect(failed).toHaveLength(1)
    expect(String(failed[0]?.exception)).toMatch(/E_INVALID_SIGNATURE.*invalid signature \(mismatch\)/)
    expect(await db('jobs').count({ n: '*' })).toEqual([{ n: 0 }])
  })

  it('keeps running jobs queued before a key rotation when the old key is in APP_PREVIOUS_KEYS', async () => {
    const ran = marker()
    await push(encodeJob(new ChargeCard(SECRET, ran), {}, security(key)).payload)
    const rotated = await craft(['queue:work', '--stop-when-empty', '--sleep=0'], { APP_KEY: generateKey(), APP_PREVIOUS_KEYS: key })
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(existsSync(ran)).toBe(true)
    expect(String((await db('failed_jobs').select('exception'))[0]?.exception)).toContain('card declined')
  })
})

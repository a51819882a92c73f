/**
 * Queued mail end to end in one process: Mail.queue() stores a Kiln.SendQueuedMailable job on the
 * database queue, the worker's pipeline (processJob) rebuilds the mailable with its model fetched
 * fresh, and the message reaches a real SMTP server.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import type { Migration } from '../../framework/database/migration.ts'
import { html, Mail, QueuedMailable, type Content, type Envelope } from '../../framework/mail/mail.ts'
import { SendQueuedMailable } from '../../framework/mail/send-queued-mailable.ts'
import { workerOptions } from '../../framework/queue/worker/options.ts'
import { processJob } from '../../framework/queue/worker/process-job.ts'
import { WelcomeEmail } from '../../app/Mail/WelcomeEmail.ts'
import { User } from '../../app/Models/User.ts'
import { repoRoot } from '../support/craft.ts'
import { startMailServer, type TestMailServer } from '../support/mail-server.ts'
import { availableEngines, createTestDatabase, type TestDatabase } from '../support/services.ts'

const engines = await availableEngines()

/** Marked for queueing: send() queues it. */
class WeeklyDigest extends QueuedMailable {
  constructor(public user: User) {
    super()
    this.onQueue('digests')
  }

  envelope(): Envelope {
    return { subject: `Your digest, ${this.user.name}` }
  }

  content(): Content {
    return { html: html`<p>${this.user.email}</p>` }
  }
}

const MIGRATIONS = ['0001_01_01_000000_create_users_table.ts', '0001_01_01_000002_create_jobs_table.ts', '0001_01_01_000003_create_failed_jobs_table.ts']

describe.each(engines)('queued mail on the database queue (%s)', (engine) => {
  let database: TestDatabase
  let server: TestMailServer
  let app: Application
  let db: Knex

  beforeAll(async () => {
    server = await startMailServer()
    database = await createTestDatabase(engine)
    app = await Application.create({
      basePath: repoRoot,
      loadEnv: false,
      config: {
        database: { default: 'testdb', connections: { testdb: database.config } },
        queue: {
          default: 'database',
          connections: { database: { driver: 'database', connection: 'testdb', table: 'jobs', queue: 'default', retry_after: 60 } },
          failed: { driver: 'database', database: 'testdb', table: 'failed_jobs' },
        },
        mail: { default: 'smtp', mailers: { smtp: { transport: 'smtp', host: '127.0.0.1', port: server.port, encryption: null, timeout: 5 } }, from: { address: 'hello@kiln.test', name: 'Kiln' } },
      },
    })
    db = await app.make('db').connection()
    for (const file of MIGRATIONS) {
      const module = (await import(pathToFileURL(join(repoRoot, 'database', 'migrations', file)).href)) as { default: Migration }
      await module.default.up(db)
    }
    // What a worker process needs: the framework's mail job in the job registry (see the report to the lead).
    app.make('jobs').register(SendQueuedMailable)
  })

  afterAll(async () => {
    await app?.shutdown()
    await database?.drop()
    await server?.close()
  })

  beforeEach(async () => {
    await db('jobs').delete()
  })

  async function work(queue: string) {
    const driver = await app.make('queue').connection('database')
    const [reserved] = await driver.pop(queue, 1)
    if (!reserved) throw new Error(`No job on queue ${queue}`)
    return processJob(app, reserved, workerOptions({ queues: [queue], tries: 1 }))
  }

  it('queue() stores the mailable as class + model key; the worker sends it with the user as it is by then', async () => {
    const user = await User.create({ name: 'Ada', email: `ada-${engine}@example.com`, password: '$2b$10$secrethash' })
    await Mail.to(user).queue(new WelcomeEmail(user).onQueue('emails'))

    const rows = await db('jobs').select('queue', 'payload')
    expect(rows).toHaveLength(1)
    expect(rows[0].queue).toBe('emails')
    const payload = JSON.parse(rows[0].payload as string) as { job: string; data: { mailable: string; data: { user: unknown } } }
    expect(payload.job).toBe('Kiln.SendQueuedMailable')
    expect(payload.data.mailable).toBe('WelcomeEmail')
    expect(payload.data.data.user).toEqual({ $kiln: 'model', value: { __model: 'User', key: user.id } })
    expect(rows[0].payload).not.toContain('secrethash')

    await User.where('id', user.id).update({ name: 'Ada Lovelace' })
    const before = server.received.length
    const result = await work('emails')
    expect(result.error).toBeNull()
    expect(result.decision.action).toBe('ack')
    const [mail] = (await server.waitFor(before + 1)).slice(before)
    expect(mail!.envelope.to).toEqual([`ada-${engine}@example.com`])
    expect(mail!.parsed.subject).toBe('Welcome to Kiln, Ada Lovelace!')
    expect(mail!.parsed.html).toContain('<h1>Welcome, Ada Lovelace!</h1>')
    expect(mail!.parsed.text).toContain('Welcome, Ada Lovelace!')
    expect(Number((await db('jobs').count({ n: '*' }))[0]!.n)).toBe(0)
  })

  it('send() queues a QueuedMailable on its queue instead of sending it; later() delays it', async () => {
    const user = await User.create({ name: 'Grace', email: `grace-${engine}@example.com`, password: 'x' })
    const before = server.received.length
    expect(await Mail.to(user).send(new WeeklyDigest(user))).toBeNull()
    await Mail.to(user).later(3600, new WeeklyDigest(user))
    expect(server.received.length).toBe(before)
    const rows = await db('jobs').orderBy('id').select('queue', 'available_at', 'created_at')
    expect(rows.map((row) => row.queue)).toEqual(['digests', 'digests'])
    expect(Number(rows[1].available_at) - Number(rows[1].created_at)).toBeGreaterThanOrEqual(3599)

    const result = await work('digests')
    expect(result.decision.action).toBe('ack')
    const [mail] = (await server.waitFor(before + 1)).slice(before)
    expect(mail!.parsed.subject).toBe('Your digest, Grace')
    // The delayed one is not available yet.
    expect(await (await app.make('queue').connection('database')).pop('digests', 1)).toEqual([])
  })

  it('a user deleted before the worker runs fails the job with E_MODEL_NOT_FOUND and sends nothing', async () => {
    const user = await User.create({ name: 'Temp', email: `temp-${engine}@example.com`, password: 'x' })
    await Mail.to(user).queue(new WelcomeEmail(user))
    await user.delete()
    const before = server.received.length
    const result = await work('default')
    expect(result.decision.action).toBe('fail')
    expect(result.error).toMatchObject({ code: 'E_MODEL_NOT_FOUND' })
    expect(server.received.length).toBe(before)
    const failed = await db('failed_jobs').select('exception')
    expect(failed).toHaveLength(1)
    expect(failed[0].exception).toContain('E_MODEL_NOT_FOUND')
  })
})

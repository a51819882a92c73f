/**
 * The seed application end to end, as a user runs it: `craft serve` plus two `craft queue:work`
 * processes, on the database queue (SQLite) and again on Redis. Real HTTP in, real SMTP out, the CRM
 * and Slack as a local HTTP server; a CRM outage puts a job in failed_jobs and `craft queue:retry all`
 * brings it back once the CRM is up again.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ReceivedMail } from '../support/mail-server.ts'
import { probeService } from '../support/services.ts'
import { ADMIN_EMAIL, eventually, startSeedApp, type QueueDriverName, type SeedAppStack } from './seed-app-stack.ts'

const drivers: QueueDriverName[] = ['database']
if (await probeService('redis')) drivers.push('redis')

vi.setConfig({ testTimeout: 60_000, hookTimeout: 90_000 })

describe.each(drivers)('the seed app on the %s queue', (driver) => {
  let stack: SeedAppStack
  const post = (path: string, body: unknown) =>
    fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) })
  const mailsTo = (address: string): ReceivedMail[] => stack.mail.received.filter((mail) => mail.envelope.to.includes(address))
  const mailTo = (address: string, subject: RegExp) => eventually(`a mail "${subject}" to ${address}`, () => mailsTo(address).find((mail) => subject.test(mail.parsed.subject ?? '')))
  const failedJobs = async () => (await stack.db('failed_jobs').select('id', 'payload', 'exception')) as { id: number; payload: string; exception: string }[]

  beforeAll(async () => {
    stack = await startSeedApp(driver)
  })

  afterAll(async () => {
    await stack?.stop()
  })

  it('registers a user, answers 201 at once, then mails, calls the CRM and Slack, and writes a certificate', async () => {
    const response = await post('/register', { name: 'Margaret Hamilton', email: 'margaret@kiln.test', password: 'apollo-11' })
    expect(response.status).toBe(201)
    const user = (await response.json()) as { id: number; name: string; email: string }
    expect(user).toEqual({ id: expect.any(Number), name: 'Margaret Hamilton', email: 'margaret@kiln.test' })

    const stored = await stack.db('users').where({ email: 'margaret@kiln.test' }).first()
    expect(stored.password).toMatch(/^scrypt\$/)
    expect(stored.password).not.toContain('apollo-11')

    const welcome = await mailTo('margaret@kiln.test', /^Welcome to Kiln, Margaret Hamilton!$/)
    expect(welcome.parsed.text).toContain('Your account margaret@kiln.test is ready.')
    expect(welcome.parsed.from?.value[0]?.address).toBe('shop@kiln.test')

    await eventually('the CRM call', () => stack.external.calls.find((call) => call.service === 'crm' && call.body.email === 'margaret@kiln.test'))
    expect(stack.external.calls.find((call) => call.body.email === 'margaret@kiln.test')?.body).toEqual({ external_id: user.id, name: 'Margaret Hamilton', email: 'margaret@kiln.test' })
    await eventually('the Slack message', () => stack.external.calls.find((call) => call.service === 'slack' && String(call.body.text).includes('margaret@kiln.test')))
    const certificate = join(stack.basePath, 'storage', 'app', 'certificates', `user-${user.id}.txt`)
    await eventually('the certificate', () => existsSync(certificate))
    expect(readFileSync(certificate, 'utf8')).toContain('Margaret Hamilton <margaret@kiln.test>')
  })

  it('refuses invalid input and a taken email with 422 in Laravel shape', async () => {
    const invalid = await post('/register', { name: '', email: 'nope', password: 'short' })
    expect(invalid.status).toBe(422)
    expect(((await invalid.json()) as { errors: Record<string, string[]> }).errors).toEqual({
      name: ['The name field is required.'],
      email: ['The email field must be a valid email address.'],
      password: ['The password field must be at least 8 characters.'],
    })

    const taken = await post('/register', { name: 'Ada again', email: 'ada@example.com', password: 'password123' })
    expect(taken.status).toBe(422)
    expect(await taken.json()).toEqual({ message: 'The email has already been taken.', errors: { email: ['The email has already been taken.'] } })
  })

  it('takes an order with 202, pays it, writes the invoice, and mails the confirmation after its 5 s delay', async () => {
    const sentAt = Date.now()
    const response = await post('/orders', { email: 'buyer@kiln.test', product: 'Kiln mug', quantity: 2, amount: 12.5 })
    expect(response.status).toBe(202)
    const { id } = (await response.json()) as { id: number }

    const confirmation = await mailTo('buyer@kiln.test', new RegExp(`^Your order #${id} is confirmed$`))
    // Delayed 5 s; queues keep whole seconds, so it becomes due more than 4 s after the dispatch.
    expect(Date.now() - sentAt).toBeGreaterThan(4_000)
    expect(confirmation.parsed.text).toContain('2 x Kiln mug')

    const order = await eventually('the paid, invoiced order', async () => {
      const row = (await stack.db('orders').where({ id }).first()) as { status: string; invoice_path: string | null } | undefined
      return row?.status === 'paid' && row.invoice_path ? row : undefined
    })
    expect(readFileSync(order.invoice_path!, 'utf8')).toContain('2 x Kiln mug')
  })

  it('sends the newsletter as a batch to subscribed, not bounced users and reports 100 %', async () => {
    await stack.db('users').insert({ name: 'Bounced Bob', email: 'bob@kiln.test', password: 'x', email_bounced: true })
    const recipients = ((await stack.db('users').where({ subscribed: true, email_bounced: false }).select('email')) as { email: string }[]).map((row) => row.email)
    expect(recipients).toContain('ada@example.com')
    expect(recipients).not.toContain('barbara@example.com') // seeded unsubscribed

    const response = await post('/newsletter', { subject: `Kiln news (${driver})`, content: 'Batches are here.' })
    expect(response.status).toBe(202)
    const { batch_id, total_recipients } = (await response.json()) as { batch_id: string; total_recipients: number }
    expect(total_recipients).toBe(recipients.length)

    const status = await eventually('the finished batch', async () => {
      const body = (await (await fetch(`${stack.url}/newsletter/batches/${batch_id}`)).json()) as { finished: boolean; progress: number; total_jobs: number; pending_jobs: number; failed_jobs: number }
      return body.finished ? body : undefined
    })
    expect(status).toMatchObject({ progress: 100, total_jobs: recipients.length, pending_jobs: 0, failed_jobs: 0, finished: true })
    for (const email of recipients) expect(mailsTo(email).filter((mail) => mail.parsed.subject === `Kiln news (${driver})`)).toHaveLength(1)
    for (const email of ['bob@kiln.test', 'barbara@example.com']) expect(mailsTo(email).some((mail) => mail.parsed.subject === `Kiln news (${driver})`)).toBe(false)
    const counted = (await stack.db('users').where({ email: 'ada@example.com' }).first()) as { newsletters_sent: number }
    expect(counted.newsletters_sent).toBe(1)

    const missing = await fetch(`${stack.url}/newsletter/batches/00000000-0000-0000-0000-000000000000`)
    expect(missing.status).toBe(404)
  })

  it('puts a CRM call that keeps failing in failed_jobs, and `craft queue:retry all` makes it succeed', async () => {
    stack.external.failingEmails.add('outage@kiln.test')
    const response = await post('/register', { name: 'During Outage', email: 'outage@kiln.test', password: 'password123' })
    expect(response.status).toBe(201)

    const failed = await eventually('CreateCrmProfile in failed_jobs', async () => (await failedJobs()).find((row) => row.payload.includes('CreateCrmProfile')))
    expect(failed.exception).toContain('E_EXTERNAL_SERVICE')
    expect(stack.external.calls.filter((call) => call.body.email === 'outage@kiln.test' && call.status === 500)).toHaveLength(3) // tries = 3
    const listed = await stack.craft('queue:failed')
    expect(listed.stdout).toContain('CreateCrmProfile')
    // The other registration jobs did not wait for the CRM.
    await mailTo('outage@kiln.test', /^Welcome to Kiln/)

    stack.external.failingEmails.delete('outage@kiln.test')
    const retried = await stack.craft('queue:retry', 'all')
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toContain(String(failed.id))
    await eventually('the CRM call after the retry', () => stack.external.calls.find((call) => call.body.email === 'outage@kiln.test' && call.status === 201))
    expect((await failedJobs()).some((row) => row.payload.includes('CreateCrmProfile'))).toBe(false)
  })

  it('imports a CSV as a batch of rows (a bad row fails alone) and mails the admin a summary', async () => {
    const csv = 'name,email\nLinus Import,linus@kiln.test\n"Hopper, Grace",grace@example.com\nNo Email,not-an-email\n'
    const response = await fetch(`${stack.url}/imports`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: csv })
    expect(response.status).toBe(202)

    const summary = await mailTo(ADMIN_EMAIL, /^User import finished: 2 of 3 rows imported$/)
    expect(summary.parsed.text).toContain('Rows: 3. Imported: 2. Failed: 1.')
    expect(await stack.db('users').where({ email: 'linus@kiln.test' }).first()).toMatchObject({ name: 'Linus Import', subscribed: 1 })
    expect(await stack.db('users').where({ email: 'grace@example.com' }).first()).toMatchObject({ name: 'Hopper, Grace' })
    const bad = (await failedJobs()).find((row) => row.payload.includes('ImportUserRow'))
    expect(bad?.exception).toContain('E_INVALID_IMPORT_ROW')
    expect(bad?.exception).toContain('Line 4')

    const json = await post('/imports', { csv: 'Jason Json,json@kiln.test' })
    expect(json.status).toBe(202)
    await mailTo(ADMIN_EMAIL, /^User import finished: 1 of 1 rows imported$/)
    expect(await stack.db('users').where({ email: 'json@kiln.test' }).first()).toMatchObject({ name: 'Jason Json' })
    const empty = await post('/imports', {})
    expect(empty.status).toBe(422)
  })

  it('marks a recipient whose mailbox refuses the newsletter as email_bounced, and leaves it out next time', async () => {
    await stack.db('users').insert({ name: 'Gone Away', email: 'gone@kiln.test', password: 'x' })
    stack.mail.bouncing.add('gone@kiln.test')
    const response = await post('/newsletter', { subject: `Bounce check (${driver})`, content: 'Hello.' })
    const { batch_id, total_recipients } = (await response.json()) as { batch_id: string; total_recipients: number }

    // Every job has run once pending = failed (a failed job stays pending, as in Laravel).
    const status = await eventually('every newsletter job to have run', async () => {
      const body = (await (await fetch(`${stack.url}/newsletter/batches/${batch_id}`)).json()) as { pending_jobs: number; failed_jobs: number; progress: number; finished: boolean }
      return body.failed_jobs > 0 && body.pending_jobs === body.failed_jobs ? body : undefined
    })
    expect(status).toMatchObject({ failed_jobs: 1, finished: false, progress: Math.round(((total_recipients - 1) / total_recipients) * 100) })
    expect(await stack.db('users').where({ email: 'gone@kiln.test' }).first()).toMatchObject({ email_bounced: 1, newsletters_sent: 0 })
    expect(mailsTo('ada@example.com').some((mail) => mail.parsed.subject === `Bounce check (${driver})`)).toBe(true)

    const next = (await (await post('/newsletter', { subject: `After the bounce (${driver})`, content: 'Hi.' })).json()) as { total_recipients: number }
    expect(next.total_recipients).toBe(total_recipients - 1)
  })
})

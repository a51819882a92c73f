import { AssertionError } from 'node:assert'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { html, Mail, Mailable, QueuedMailable, type Content, type Envelope } from '../../framework/mail/mail.ts'
import { MailManager } from '../../framework/mail/mail-manager.ts'
import type { MailFake } from '../../framework/testing/mail-fake.ts'
import { repoRoot } from '../support/craft.ts'

class InvoicePaid extends Mailable {
  constructor(public invoiceId: number) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Invoice ${this.invoiceId} paid` }
  }

  content(): Content {
    return { html: html`<p>${this.invoiceId}</p>` }
  }
}

class Newsletter extends QueuedMailable {
  constructor(public issue: number) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Issue ${this.issue}` }
  }

  content(): Content {
    return { text: `Issue ${this.issue}` }
  }
}

let app: Application
let mail: MailFake

beforeEach(async () => {
  app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { mail: { default: 'array' } } })
  mail = Mail.fake()
})
afterEach(() => app.shutdown())

describe('Mail.fake()', () => {
  it('records sent mailables with their recipients, and assertSent matches by class, count and predicate', async () => {
    await Mail.to({ email: 'ada@example.com', name: 'Ada' }).cc('boss@example.com').send(new InvoicePaid(1))
    await Mail.to('grace@example.com').send(new InvoicePaid(2))

    mail.assertSent(InvoicePaid)
    mail.assertSent(InvoicePaid, 2)
    mail.assertSent(InvoicePaid, (m, sent) => m.invoiceId === 1 && sent.hasTo('ADA@example.com') && sent.hasCc('boss@example.com'))
    mail.assertNotSent(InvoicePaid, (m) => m.invoiceId === 3)
    mail.assertNotSent(Newsletter)
    mail.assertSentCount(2)
    mail.assertNothingQueued()
    expect(mail.sent(InvoicePaid, (_m, sent) => sent.hasTo('grace@example.com')).map((m) => m.invoiceId)).toEqual([2])
    // Nothing was delivered: the real array mailer is untouched.
    expect(app.make('mail')).toBe(mail)
  })

  it('a QueuedMailable given to send() is recorded as queued, with its queue and delay', async () => {
    await Mail.to('a@example.com').send(new Newsletter(1).onQueue('newsletters'))
    await Mail.to('b@example.com').later(60, new Newsletter(2))
    await Mail.to('c@example.com').queue(new InvoicePaid(9).onConnection('redis'))

    mail.assertQueued(Newsletter, 2)
    mail.assertQueued(Newsletter, (m, queued) => m.issue === 1 && queued.queue === 'newsletters' && queued.hasTo('a@example.com'))
    mail.assertQueued(Newsletter, (m, queued) => m.issue === 2 && queued.delay === 60)
    mail.assertQueued(InvoicePaid, (_m, queued) => queued.connection === 'redis')
    await Mail.to('d@example.com').send(new Newsletter(4).delayFor(30))
    mail.assertQueued(Newsletter, (m, queued) => m.issue === 4 && queued.delay === 30)
    mail.assertQueuedCount(4)
    mail.assertNothingSent()
    mail.assertNotQueued(Newsletter, (m) => m.issue === 3)
  })

  it('failing assertions throw AssertionError (and assertSent hints at assertQueued for a queued mailable)', async () => {
    mail.assertNothingSent()
    mail.assertNothingQueued()
    mail.assertNothingOutgoing()
    expect(() => mail.assertSent(InvoicePaid)).toThrow(AssertionError)
    expect(() => mail.assertQueued(Newsletter)).toThrow(AssertionError)

    await Mail.to('a@example.com').send(new Newsletter(1))
    await Mail.to('a@example.com').send(new InvoicePaid(5))
    expect(() => mail.assertSent(Newsletter)).toThrow(/assertQueued/)
    expect(() => mail.assertSent(InvoicePaid, 2)).toThrow(AssertionError)
    expect(() => mail.assertSent(InvoicePaid, (m) => m.invoiceId === 6)).toThrow(AssertionError)
    expect(() => mail.assertNotSent(InvoicePaid)).toThrow(AssertionError)
    expect(() => mail.assertNothingSent()).toThrow(AssertionError)
    expect(() => mail.assertNothingQueued()).toThrow(AssertionError)
    expect(() => mail.assertQueued(Newsletter, 2)).toThrow(AssertionError)
    expect(() => mail.assertNotQueued(Newsletter)).toThrow(AssertionError)
  })

  it('restore() puts the real mail service back', async () => {
    mail.restore()
    expect(app.make('mail')).toBeInstanceOf(MailManager)
    expect(app.make('mail')).not.toBe(mail)
    await Mail.to('a@example.com').send(new InvoicePaid(1))
    expect(Mail.mailer().messages().map((m) => m.subject)).toEqual(['Invoice 1 paid'])
    mail.assertNothingSent()
  })
})

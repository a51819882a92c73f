import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import type { MailConfig } from '../../framework/mail/config.ts'
import { html, Mail, Mailable, text, type Attachment, type Content, type Envelope } from '../../framework/mail/mail.ts'
import { repoRoot } from '../support/craft.ts'
import { startMailServer, type TestMailServer } from '../support/mail-server.ts'

class OrderShipped extends Mailable {
  constructor(
    public order: { id: number; customer: string },
    public invoicePath: string,
  ) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Order #${this.order.id} shipped`, replyTo: { address: 'support@example.com', name: 'Support' }, tags: ['orders'] }
  }

  content(): Content {
    return {
      html: html`<p>Hello ${this.order.customer}, your order <b>#${this.order.id}</b> is on its way.</p>`,
      text: text`Hello ${this.order.customer}, your order #${this.order.id} is on its way.`,
    }
  }

  override attachments(): Attachment[] {
    return [
      { path: this.invoicePath, filename: 'invoice.txt' },
      { content: 'sku,qty\nA-1,2\n', filename: 'items.csv', contentType: 'text/csv' },
    ]
  }
}

function mailConfig(port: number, overrides: Partial<MailConfig['mailers'][string]> = {}): Partial<MailConfig> {
  return {
    default: 'smtp',
    mailers: { smtp: { transport: 'smtp', host: '127.0.0.1', port, encryption: null, timeout: 5, username: null, password: null, ...overrides } as MailConfig['mailers'][string] },
    from: { address: 'shop@example.com', name: 'The Shop' },
  }
}

let server: TestMailServer
let app: Application | undefined
let dir: string

beforeAll(async () => {
  server = await startMailServer({ credentials: { username: 'kiln', password: 's3cret' } })
  dir = mkdtempSync(join(tmpdir(), 'kiln-mail-'))
})

afterEach(async () => {
  await app?.shutdown()
  app = undefined
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the smtp mailer (nodemailer to a real SMTP server)', () => {
  it('delivers to, cc and bcc with subject, html and text bodies, reply-to, tags and attachments', async () => {
    app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { mail: mailConfig(server.port) } })
    const invoice = join(dir, 'invoice.txt')
    writeFileSync(invoice, 'Invoice 1001: 42.00 EUR')
    const before = server.received.length

    const sent = await Mail.to({ email: 'ada@example.com', name: 'Ada Lovelace' })
      .cc('grace@example.com')
      .bcc(['audit@example.com'])
      .send(new OrderShipped({ id: 1001, customer: 'Ada <script>alert(1)</script>' }, invoice))

    const [mail] = (await server.waitFor(before + 1)).slice(before)
    expect(sent?.messageId).toBeTruthy()
    expect(mail!.envelope.from).toBe('shop@example.com')
    expect(mail!.envelope.to.sort()).toEqual(['ada@example.com', 'audit@example.com', 'grace@example.com'])
    const parsed = mail!.parsed
    expect(parsed.subject).toBe('Order #1001 shipped')
    expect(parsed.from?.value).toEqual([{ address: 'shop@example.com', name: 'The Shop' }])
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : []).toEqual([{ address: 'ada@example.com', name: 'Ada Lovelace' }])
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.value.map((a) => a.address) : []).toEqual(['grace@example.com'])
    expect(parsed.bcc).toBeUndefined()
    expect(parsed.replyTo?.value).toEqual([{ address: 'support@example.com', name: 'Support' }])
    expect(parsed.headers.get('x-tag')).toBe('orders')
    // The customer's name is escaped in the HTML part and verbatim in the text part.
    expect(parsed.html).toContain('<p>Hello Ada &lt;script&gt;alert(1)&lt;/script&gt;, your order <b>#1001</b> is on its way.</p>')
    expect(parsed.html).not.toContain('<script>')
    expect(parsed.text?.trim()).toBe('Hello Ada <script>alert(1)</script>, your order #1001 is on its way.')
    const attachments = parsed.attachments.map((a) => ({ filename: a.filename, type: a.contentType, body: a.content.toString('utf8') }))
    expect(attachments).toEqual([
      { filename: 'invoice.txt', type: 'text/plain', body: 'Invoice 1001: 42.00 EUR' },
      { filename: 'items.csv', type: 'text/csv', body: 'sku,qty\nA-1,2\n' },
    ])
  })

  it('logs in with MAIL_USERNAME / MAIL_PASSWORD when they are set', async () => {
    app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { mail: mailConfig(server.port, { username: 'kiln', password: 's3cret' }) } })
    const before = server.received.length
    await Mail.to('ops@example.com').send(new OrderShipped({ id: 7, customer: 'Ops' }, join(dir, 'invoice.txt')))
    const [mail] = (await server.waitFor(before + 1)).slice(before)
    expect(mail!.user).toBe('kiln')
  })

  it('wrong credentials or an unreachable server fail with E_MAIL_TRANSPORT', async () => {
    app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { mail: mailConfig(server.port, { username: 'kiln', password: 'wrong' }) } })
    const order = new OrderShipped({ id: 8, customer: 'X' }, join(dir, 'invoice.txt'))
    await expect(Mail.to('x@example.com').send(order)).rejects.toMatchObject({ code: 'E_MAIL_TRANSPORT' })
    await app.shutdown()

    const closedPort = await freePort()
    app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { mail: mailConfig(closedPort) } })
    await expect(Mail.to('x@example.com').send(order)).rejects.toMatchObject({ code: 'E_MAIL_TRANSPORT' })
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { html, Mail, Mailable, raw, text, type Content, type Envelope } from '../../framework/mail/mail.ts'
import { normalizeAddresses } from '../../framework/mail/address.ts'
import { repoRoot } from '../support/craft.ts'

class Receipt extends Mailable {
  constructor(
    public customer: string,
    public items: string[],
  ) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Receipt for ${this.customer}`, from: { address: 'billing@example.com', name: 'Billing' } }
  }

  content(): Content {
    return {
      html: html`<p>Thanks ${this.customer}</p><ul>${this.items.map((item) => html`<li>${item}</li>`)}</ul>`,
      text: text`Thanks ${this.customer}: ${this.items.join(', ')}`,
    }
  }
}

class Empty extends Mailable {
  envelope(): Envelope {
    return { subject: 'nothing' }
  }

  content(): Content {
    return {}
  }
}

let dir: string
let app: Application | undefined

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-mail-log-'))
})
afterEach(async () => {
  await app?.shutdown()
  app = undefined
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function appWith(mailer: string, logFile = join(dir, 'kiln.log')): Promise<Application> {
  return Application.create({
    basePath: repoRoot,
    loadEnv: false,
    config: {
      mail: { default: mailer, from: { address: 'hello@example.com', name: 'Kiln' } },
      logging: { default: 'file', channels: { file: { driver: 'file', path: logFile } } },
    },
  })
}

describe('html`` and text`` templates', () => {
  it('escapes interpolated values in html, keeps nested fragments and raw(), leaves text alone', () => {
    const name = `<img src=x onerror="alert('x')">&`
    expect(String(html`<b>${name}</b>`)).toBe('<b>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</b>')
    expect(String(html`<ul>${['<a>', 'b'].map((item) => html`<li>${item}</li>`)}</ul>`)).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>')
    expect(String(html`${raw('<hr>')}${null}${undefined}${false}${0}`)).toBe('<hr>0')
    expect(text`Hi ${name}${null}!`).toBe(`Hi ${name}!`)
  })
})

describe('recipients', () => {
  it('accepts addresses, { address, name } and anything with an email (a User); refuses the rest with E_INVALID_MAIL_ADDRESS', () => {
    expect(normalizeAddresses(['a@example.com', { address: 'b@example.com', name: 'B' }, { email: 'c@example.com', name: 'C', id: 3 } as { email: string }])).toEqual([
      { address: 'a@example.com' },
      { address: 'b@example.com', name: 'B' },
      { address: 'c@example.com', name: 'C' },
    ])
    for (const bad of ['not an address', 'Ada', '', { id: 1 }]) {
      expect(() => normalizeAddresses(bad as string)).toThrow(expect.objectContaining({ code: 'E_INVALID_MAIL_ADDRESS' }))
    }
  })
})

describe('the log mailer', () => {
  it('writes the message (recipients, subject, bodies) to the application log instead of sending it', async () => {
    const logFile = join(dir, 'log-mailer.log')
    app = await appWith('log', logFile)
    const sent = await Mail.to({ address: 'ada@example.com', name: 'Ada' }).cc('ops@example.com').send(new Receipt('Ada', ['Tea', 'Cake']))
    expect(sent?.accepted).toEqual(['ada@example.com', 'ops@example.com'])
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { msg: string; mail?: Record<string, unknown> })
    const entry = lines.find((line) => line.mail?.subject === 'Receipt for Ada')
    expect(entry).toBeDefined()
    expect(entry!.mail).toMatchObject({
      mailer: 'log',
      mailable: 'Receipt',
      from: '"Billing" <billing@example.com>',
      to: ['"Ada" <ada@example.com>'],
      cc: ['ops@example.com'],
      text: 'Thanks Ada: Tea, Cake',
      html: '<p>Thanks Ada</p><ul><li>Tea</li><li>Cake</li></ul>',
    })
    expect(entry!.msg).toContain('Receipt for Ada')
  })
})

describe('the array mailer', () => {
  it('keeps each rendered message in memory, in order, until flushed', async () => {
    app = await appWith('array')
    await Mail.to('a@example.com').send(new Receipt('A', ['x']))
    await Mail.mailer('array').to('b@example.com').bcc('audit@example.com').send(new Receipt('B', []))
    const messages = Mail.mailer('array').messages()
    expect(messages.map((m) => [m.subject, m.to.map((a) => a.address), m.bcc.map((a) => a.address)])).toEqual([
      ['Receipt for A', ['a@example.com'], []],
      ['Receipt for B', ['b@example.com'], ['audit@example.com']],
    ])
    expect(messages[0]!.from).toEqual({ address: 'billing@example.com', name: 'Billing' })
    expect(messages[0]!.html).toBe('<p>Thanks A</p><ul><li>x</li></ul>')
    Mail.mailer('array').flush()
    expect(Mail.mailer('array').messages()).toEqual([])
  })

  it('queue() on the sync connection runs Kiln.SendQueuedMailable at once: the mailable is rebuilt from its data and sent', async () => {
    app = await Application.create({
      basePath: repoRoot,
      loadEnv: false,
      config: { mail: { default: 'array' }, queue: { default: 'sync' }, logging: { default: 'file', channels: { file: { driver: 'file', path: join(dir, 'sync.log') } } } },
    })
    const id = await Mail.to('queued@example.com').queue(new Receipt('Queued', ['Tea']))
    expect(typeof id).toBe('string')
    const [message] = Mail.mailer('array').messages()
    expect(message).toMatchObject({ mailable: 'Receipt', subject: 'Receipt for Queued', to: [{ address: 'queued@example.com' }] })
    expect(message!.html).toBe('<p>Thanks Queued</p><ul><li>Tea</li></ul>')
    expect((await app.make('jobs').ready()).has('Kiln.SendQueuedMailable')).toBe(true)
  })

  it('refuses a message with no recipient, no content, or an unknown mailer, with their codes', async () => {
    app = await appWith('array')
    const mailer = Mail.mailer()
    await expect(mailer.send(new Receipt('A', []), { to: [], cc: [], bcc: [] })).rejects.toMatchObject({ code: 'E_MAIL_NO_RECIPIENTS' })
    await expect(Mail.to('a@example.com').send(new Empty())).rejects.toMatchObject({ code: 'E_MAIL_NO_CONTENT' })
    expect(() => Mail.mailer('postmark')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MAILER' }))
    expect(Mail.mailer('array').messages()).toEqual([])
  })
})

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MailableRegistry } from '../../framework/mail/mailable-registry.ts'
import { runCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { typeErrors } from '../support/typecheck.ts'

let app: TempApp
const craft = (...args: string[]) => runCraft(args, { basePath: app.basePath })
const mailPath = (name: string) => app.path('app', 'Mail', `${name}.ts`)

beforeAll(() => {
  app = makeTempApp()
})
afterAll(() => app?.cleanup())

describe('craft make:mail', () => {
  it('writes app/Mail/<Name>.ts from the stub: envelope with a subject, html and text content, attachments', async () => {
    const result = await craft('make:mail', 'WelcomeEmail')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Mailable [app/Mail/WelcomeEmail.ts] created successfully.')
    const source = readFileSync(mailPath('WelcomeEmail'), 'utf8')
    expect(source).toContain("import { Mailable, html, text, type Attachment, type Content, type Envelope } from '#kiln/mail/mail'")
    expect(source).toContain('export class WelcomeEmail extends Mailable {')
    expect(source).toContain("subject: 'Welcome Email'")
    for (const member of ['envelope(): Envelope', 'content(): Content', 'html: html`', 'text: text`', 'override attachments(): Attachment[]']) expect(source).toContain(member)
  })

  it('--queued writes a mailable that send() queues', async () => {
    expect((await craft('make:mail', 'OrderShipped', '--queued')).code).toBe(0)
    expect(readFileSync(mailPath('OrderShipped'), 'utf8')).toContain('export class OrderShipped extends QueuedMailable {')
  })

  it('the generated mailables typecheck and are discovered by the mailable registry', async () => {
    const control = app.path('control-mail.ts')
    writeFileSync(control, readFileSync(mailPath('WelcomeEmail'), 'utf8').replace('class WelcomeEmail', 'class Control').replace("subject: 'Welcome Email'", 'subject: 42'))
    const errors = await typeErrors([mailPath('WelcomeEmail'), mailPath('OrderShipped'), control])
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((error) => error.startsWith(control))).toBe(true)
    const registry = new MailableRegistry()
    expect((await registry.discover(app.path('app', 'Mail'))).sort()).toEqual(['OrderShipped', 'WelcomeEmail'])
  }, 60_000)

  it('refuses to overwrite an existing mailable (exit 1, file untouched)', async () => {
    writeFileSync(mailPath('WelcomeEmail'), '// mine\n')
    const result = await craft('make:mail', 'WelcomeEmail')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('already exists')
    expect(readFileSync(mailPath('WelcomeEmail'), 'utf8')).toBe('// mine\n')
  })

  it.each(['welcome-email', '../Evil', 'Mail/Welcome', 'Mailable', 'Envelope'])('rejects the class name %j (exit 1, nothing written)', async (name) => {
    const before = readdirSync(app.path('app', 'Mail'))
    const result = await craft('make:mail', name)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/class name|base class/)
    expect(readdirSync(app.path('app', 'Mail'))).toEqual(before)
    expect(existsSync(app.path('app', 'Evil.ts'))).toBe(false)
  })
})

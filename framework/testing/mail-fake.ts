/**
 * `Mail.fake()`: replaces the `mail` service with one that records what would have been sent or
 * queued, delivering nothing, and asserts on it (Laravel's MailFake). Sent mailables are still
 * rendered, so one that cannot render fails the test as it would fail in production.
 *
 *   const mail = Mail.fake()
 *   await registerUser(...)
 *   mail.assertQueued(WelcomeEmail, (m, sent) => sent.hasTo('ada@example.com') && m.user.id === 1)
 */
import { AssertionError } from 'node:assert'
import type { Application } from '../foundation/application.ts'
import type { MailerConfig, MailAddress } from '../mail/config.ts'
import { MailManager } from '../mail/mail-manager.ts'
import { mailableNameOf, type Mailable, type MailableClass } from '../mail/mailable.ts'
import { Mailer } from '../mail/mailer.ts'
import type { MailRecipients, SentMessage } from '../mail/message.ts'
import { ArrayTransport } from '../mail/transports/array.ts'

export interface FakeMail<T extends Mailable = Mailable> extends MailRecipients {
  mailable: T
  mailer: string
  /** Queued only: the queue, connection and delay it was queued with. */
  queue: string | null
  connection: string | null
  delay: number | Date | null
  hasTo(address: string): boolean
  hasCc(address: string): boolean
  hasBcc(address: string): boolean
}

export type FakeMailPredicate<T extends Mailable> = (mailable: T, mail: FakeMail<T>) => boolean

export function fakeMail(app: Application): MailFake {
  const original = app.make('mail')
  const fake = new MailFake(app, () => app.instance('mail', original, (mail) => mail.close()))
  app.instance('mail', fake)
  return fake
}

export class MailFake extends MailManager {
  private readonly sentMails: FakeMail[] = []
  private readonly queuedMails: FakeMail[] = []

  constructor(
    app: Application,
    private readonly restorer: () => void = () => undefined,
  ) {
    super(app.config('mail'), app)
  }

  /** Puts the real mail service back. */
  restore(): void {
    this.restorer()
  }

  /** The sent mailables of `cls` matching `predicate`. */
  sent<T extends Mailable>(cls: MailableClass<T>, predicate?: FakeMailPredicate<T>): T[] {
    return matching(this.sentMails, cls, predicate).map((mail) => mail.mailable)
  }

  queued<T extends Mailable>(cls: MailableClass<T>, predicate?: FakeMailPredicate<T>): T[] {
    return matching(this.queuedMails, cls, predicate).map((mail) => mail.mailable)
  }

  /** Sent at least once; exactly `n` times; or at least once matching `predicate`. */
  assertSent<T extends Mailable>(cls: MailableClass<T>, expected?: number | FakeMailPredicate<T>): void {
    const name = mailableNameOf(cls)
    const queuedHint = matching(this.queuedMails, cls).length > 0 ? ' It was queued: did you mean assertQueued()?' : ''
    if (typeof expected === 'number') {
      const count = matching(this.sentMails, cls).length
      if (count !== expected) fail(`The expected [${name}] mailable was sent ${count} time(s) instead of ${expected} time(s).${queuedHint}`)
      return
    }
    if (matching(this.sentMails, cls, expected).length === 0) fail(`The expected [${name}] mailable was not sent${expected ? ' matching the given predicate' : ''}.${queuedHint}${summary(this.sentMails, 'Sent')}`)
  }

  assertNotSent<T extends Mailable>(cls: MailableClass<T>, predicate?: FakeMailPredicate<T>): void {
    const count = matching(this.sentMails, cls, predicate).length
    if (count > 0) fail(`The unexpected [${mailableNameOf(cls)}] mailable was sent ${count} time(s).`)
  }

  assertNothingSent(): void {
    if (this.sentMails.length > 0) fail(`Mailables were sent unexpectedly.${summary(this.sentMails, 'Sent')}`)
  }

  assertSentCount(n: number): void {
    if (this.sentMails.length !== n) fail(`${this.sentMails.length} mailable(s) were sent instead of ${n}.`)
  }

  /** Queued at least once; exactly `n` times; or at least once matching `predicate`. */
  assertQueued<T extends Mailable>(cls: MailableClass<T>, expected?: number | FakeMailPredicate<T>): void {
    const name = mailableNameOf(cls)
    if (typeof expected === 'number') {
      const count = matching(this.queuedMails, cls).length
      if (count !== expected) fail(`The expected [${name}] mailable was queued ${count} time(s) instead of ${expected} time(s).`)
      return
    }
    if (matching(this.queuedMails, cls, expected).length === 0) fail(`The expected [${name}] mailable was not queued${expected ? ' matching the given predicate' : ''}.${summary(this.queuedMails, 'Queued')}`)
  }

  assertNotQueued<T extends Mailable>(cls: MailableClass<T>, predicate?: FakeMailPredicate<T>): void {
    const count = matching(this.queuedMails, cls, predicate).length
    if (count > 0) fail(`The unexpected [${mailableNameOf(cls)}] mailable was queued ${count} time(s).`)
  }

  assertNothingQueued(): void {
    if (this.queuedMails.length > 0) fail(`Mailables were queued unexpectedly.${summary(this.queuedMails, 'Queued')}`)
  }

  assertQueuedCount(n: number): void {
    if (this.queuedMails.length !== n) fail(`${this.queuedMails.length} mailable(s) were queued instead of ${n}.`)
  }

  /** Neither sent nor queued. */
  assertNothingOutgoing(): void {
    this.assertNothingSent()
    this.assertNothingQueued()
  }

  override async close(): Promise<void> {}

  protected override build(name: string, _config: MailerConfig): Mailer {
    return new FakeMailer(name, this.config.from, this.app, (mail, queued) => (queued ? this.queuedMails : this.sentMails).push(mail))
  }
}

class FakeMailer extends Mailer {
  constructor(
    name: string,
    from: MailAddress,
    app: Application,
    private readonly record: (mail: FakeMail, queued: boolean) => void,
  ) {
    super(name, new ArrayTransport(), from, app)
  }

  override async sendNow(mailable: Mailable, recipients: MailRecipients): Promise<SentMessage> {
    this.record(fakeMailOf(mailable, recipients, this.name, null), false)
    // Rendered (not delivered), so a mailable that cannot render fails the test as it would in production.
    return super.sendNow(mailable, recipients)
  }

  override async queue(mailable: Mailable, recipients: MailRecipients, delay?: number | Date): Promise<string> {
    this.record(fakeMailOf(mailable, recipients, this.name, delay ?? mailable.delay ?? null), true)
    return 'fake'
  }
}

function fakeMailOf(mailable: Mailable, recipients: MailRecipients, mailer: string, delay: number | Date | null): FakeMail {
  const has = (list: MailAddress[]) => (address: string) => list.some((entry) => entry.address.toLowerCase() === address.toLowerCase())
  return {
    mailable,
    mailer,
    to: recipients.to,
    cc: recipients.cc,
    bcc: recipients.bcc,
    queue: mailable.queue ?? null,
    connection: mailable.connection ?? null,
    delay,
    hasTo: has(recipients.to),
    hasCc: has(recipients.cc),
    hasBcc: has(recipients.bcc),
  }
}

function matching<T extends Mailable>(mails: FakeMail[], cls: MailableClass<T>, predicate?: FakeMailPredicate<T>): FakeMail<T>[] {
  return (mails.filter((mail) => mail.mailable instanceof cls) as FakeMail<T>[]).filter((mail) => !predicate || predicate(mail.mailable, mail))
}

function summary(mails: FakeMail[], label: string): string {
  if (mails.length === 0) return ` Nothing was ${label.toLowerCase()}.`
  return ` ${label}: ${mails.map((mail) => `${mailableNameOf(mail.mailable)} to ${mail.to.map((a) => a.address).join(', ') || '(no to)'}`).join('; ')}.`
}

function fail(message: string): never {
  throw new AssertionError({ message })
}

/**
 * The base classes of every mail message, mirroring Job / QueuedJob: a `Mailable` is sent when
 * `send()` is called; a `QueuedMailable` goes to a queue (the runtime marker for Laravel's
 * ShouldQueue) and is sent by a worker, rebuilt from its data. Its data is its enumerable own
 * properties minus the settings below; models among them travel as class + key and are fetched
 * fresh before the worker renders the message.
 *
 *   export class WelcomeEmail extends QueuedMailable {
 *     constructor(public user: User) { super() }
 *     envelope() { return { subject: `Welcome, ${this.user.name}` } }
 *     content() { return { html: html`<p>Hello ${this.user.name}</p>`, text: text`Hello ${this.user.name}` } }
 *   }
 */
import type { Recipient, Recipients } from './address.ts'
import type { SafeHtml } from './template.ts'

export interface Envelope {
  subject: string
  /** The sender; config/mail.ts `from` when omitted. */
  from?: Recipient
  replyTo?: Recipients
  /** Sent as X-Tag headers (providers use them to group messages). */
  tags?: string[]
  /** Sent as X-Metadata-<key> headers. */
  metadata?: Record<string, string>
}

export interface Content {
  /** html`` escapes what it interpolates; a plain string is trusted as it is. */
  html?: SafeHtml | string
  text?: string
}

/** A file on disk, or content in memory (then `filename` is required). */
export type Attachment = { path: string; filename?: string; contentType?: string } | { content: string | Buffer; filename: string; contentType?: string }

/** Instance properties that configure delivery rather than carry the message's data. */
export const MAILABLE_SETTING_KEYS = ['queue', 'connection', 'delay', 'tries', 'backoff', 'timeout'] as const

export type MailableClass<T extends Mailable = Mailable> = (abstract new (...args: never[]) => T) & { mailableName?: string; readonly prototype: T }

export abstract class Mailable {
  /** The name queued payloads carry for this class; the class name unless set. */
  static mailableName?: string

  /** Queue connection and queue used when the mailable is queued. */
  declare connection?: string
  declare queue?: string
  /** Seconds (or a Date) before a queued mailable is sent; set it with delayFor(). */
  declare delay?: number | Date
  /** Retry settings of the job that sends a queued mailable. */
  declare tries?: number
  declare backoff?: number | number[]
  declare timeout?: number

  abstract envelope(): Envelope | Promise<Envelope>
  abstract content(): Content | Promise<Content>
  attachments?(): Attachment[] | Promise<Attachment[]>

  onQueue(queue: string): this {
    return this.setting('queue', queue)
  }

  onConnection(connection: string): this {
    return this.setting('connection', connection)
  }

  /** When queued: send after `seconds` (or at a Date). `Mail.to(x).later(seconds, mailable)` does the same. */
  delayFor(delay: number | Date): this {
    return this.setting('delay', delay)
  }

  private setting(key: (typeof MAILABLE_SETTING_KEYS)[number], value: unknown): this {
    Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true })
    return this
  }
}

/** The runtime queue marker: `send()` queues it; a worker sends it. */
export abstract class QueuedMailable extends Mailable {
  static readonly shouldQueue = true
}

export function shouldQueueMailable(mailable: Mailable): boolean {
  return mailable instanceof QueuedMailable
}

export function isMailableClass(value: unknown): value is MailableClass {
  return typeof value === 'function' && value.prototype instanceof Mailable && !Object.hasOwn(value, 'shouldQueue')
}

export function mailableNameOf(mailable: Mailable | MailableClass): string {
  const cls = (mailable instanceof Mailable ? mailable.constructor : mailable) as MailableClass
  return Object.hasOwn(cls, 'mailableName') && cls.mailableName ? cls.mailableName : cls.name
}

/** The mailable's own data: enumerable own properties minus settings. */
export function mailableData(mailable: Mailable): Record<string, unknown> {
  const settings = new Set<string>(MAILABLE_SETTING_KEYS)
  const data: Record<string, unknown> = {}
  for (const key of Object.keys(mailable)) if (!settings.has(key)) data[key] = (mailable as unknown as Record<string, unknown>)[key]
  return data
}

/** Rebuilds a mailable from its data without running its constructor (its arguments are gone). */
export function hydrateMailable<T extends Mailable>(cls: MailableClass<T>, data: Record<string, unknown>): T {
  const mailable = Object.create(cls.prototype as object) as T
  for (const [key, value] of Object.entries(data)) {
    if (key === '__proto__' || key in mailable) continue // names on the class (envelope, content...) are not data
    Object.defineProperty(mailable, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return mailable
}

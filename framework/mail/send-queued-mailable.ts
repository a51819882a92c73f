import { Application } from '../foundation/application.ts'
import { restoreModels } from '../model/model-codec.ts'
import { QueuedJob } from '../queue/job.ts'
import { hydrateMailable, mailableData, type Mailable } from './mailable.ts'
import type { MailRecipients } from './message.ts'

/**
 * The framework job behind `Mail.to(...).queue(mailable)` (Laravel's SendQueuedMailable). It carries
 * the mailable's registered name, its data and the recipients, never a rendered message: the worker
 * rebuilds the mailable (its models fetched fresh) and renders it when it sends.
 */
export class SendQueuedMailable extends QueuedJob {
  static override jobName = 'Kiln.SendQueuedMailable'

  mailable: string
  data: Record<string, unknown>
  recipients: MailRecipients
  mailer: string

  constructor(name: string, mailable: Mailable, recipients: MailRecipients, mailer: string) {
    super()
    this.mailable = name
    this.data = mailableData(mailable)
    this.recipients = recipients
    this.mailer = mailer
    // The mailable's retry settings become the job's.
    if (mailable.tries !== undefined) this.tries = mailable.tries
    if (mailable.backoff !== undefined) this.backoff = mailable.backoff
    if (mailable.timeout !== undefined) this.timeout = mailable.timeout
  }

  async handle(): Promise<void> {
    const app = Application.current()
    await restoreModels(this.data) // a no-op when the worker already restored them
    const registry = await app.make('mailables').ready()
    const mailable = hydrateMailable(registry.resolve(this.mailable), this.data)
    await app.make('mail').mailer(this.mailer).sendNow(mailable, this.recipients)
  }
}

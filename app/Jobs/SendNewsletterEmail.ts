import { Application } from '#kiln/foundation/application'
import { Mail } from '#kiln/mail/mail'
import { MailTransportError } from '#kiln/mail/errors'
import { QueuedJob } from '#kiln/queue/job'
import { NewsletterEmail } from '#app/Mail/NewsletterEmail'
import { User } from '#app/Models/User'

/**
 * One newsletter to one user, in the `newsletter` batch of `POST /newsletter`. When the mail finally
 * fails (every try used, or at once when the server refuses the mailbox with a 5xx), the address is
 * marked `email_bounced` and gets no more newsletters.
 */
export class SendNewsletterEmail extends QueuedJob {
  override tries = 3
  override backoff = [5, 30]
  /** An account deleted since the batch was sent is simply skipped. */
  deleteWhenMissingModels = true

  constructor(
    public user: User,
    public subject: string,
    public content: string,
  ) {
    super()
  }

  async handle(): Promise<void> {
    if ((await this.batch())?.cancelled()) return
    try {
      await Mail.to(this.user).send(new NewsletterEmail(this.user, this.subject, this.content))
    } catch (error) {
      // A 5xx answer (550 mailbox unavailable ...) is permanent: retrying cannot help.
      if (isPermanentRejection(error)) return this.fail(error)
      throw error
    }
    await this.user.increment('newsletters_sent')
  }

  override async failed(error: Error): Promise<void> {
    // `user` is the fresh model when handle() ran; read the key defensively in case it never loaded.
    const id = (this.user as Partial<User> | undefined)?.id
    if (id === undefined) return
    await User.query().whereKey(id).update({ email_bounced: true })
    Application.current().make('log').warn({ userId: id, err: error }, 'Newsletter bounced; the address is marked email_bounced')
  }
}

function isPermanentRejection(error: unknown): error is MailTransportError {
  if (!(error instanceof MailTransportError)) return false
  const code = (error.cause as { responseCode?: unknown } | undefined)?.responseCode
  return typeof code === 'number' && code >= 500 && code < 600
}

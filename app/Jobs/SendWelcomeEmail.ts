import { Application } from '#kiln/foundation/application'
import { Mail } from '#kiln/mail/mail'
import { QueuedJob } from '#kiln/queue/job'
import { WelcomeEmail } from '#app/Mail/WelcomeEmail'
import type { User } from '#app/Models/User'

/** Mails a new user (dispatched by `POST /register` on `emails`). The user is fetched fresh on the worker. */
export class SendWelcomeEmail extends QueuedJob {
  override tries = 3
  override backoff = [10, 30, 60]
  override timeout = 60
  /** A user deleted before the job ran needs no welcome. */
  deleteWhenMissingModels = true

  constructor(public user: User) {
    super()
  }

  async handle(): Promise<void> {
    await Mail.to(this.user).send(new WelcomeEmail(this.user))
  }

  override failed(error: Error): void {
    Application.current().make('log').error({ userId: this.user.id, err: error }, 'Could not send the welcome email')
  }
}

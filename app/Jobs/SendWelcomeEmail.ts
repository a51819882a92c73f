import { Application } from '#kiln/foundation/application'
import { QueuedJob } from '#kiln/queue/job'

/** An example job: `await SendWelcomeEmail.dispatch(user.id, user.email)`, then `bin/craft queue:work`. */
export class SendWelcomeEmail extends QueuedJob {
  override tries = 3
  override backoff = [10, 30, 60]
  override timeout = 60

  constructor(
    public userId: number,
    public email: string,
  ) {
    super()
  }

  async handle(): Promise<void> {
    // A real app would send a Mailable here; the example only logs.
    Application.current().make('log').info({ userId: this.userId, attempt: this.attempts() }, `Welcome email sent to ${this.email}`)
  }

  override failed(error: Error): void {
    Application.current().make('log').error({ userId: this.userId, err: error }, 'Could not send the welcome email')
  }
}

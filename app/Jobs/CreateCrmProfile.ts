import { Application } from '#kiln/foundation/application'
import { QueuedJob } from '#kiln/queue/job'
import type { User } from '#app/Models/User'
import { postJson } from '#app/Support/post-json'

/**
 * Creates the user's profile in the CRM (config/services.ts `crm.url`). A non-2xx answer fails the
 * attempt; after the last try the job lands in failed_jobs, and `bin/craft queue:retry` sends it again.
 */
export class CreateCrmProfile extends QueuedJob {
  override tries = 3
  override backoff = [1, 3]
  override timeout = 30
  deleteWhenMissingModels = true

  constructor(public user: User) {
    super()
  }

  async handle(): Promise<void> {
    const { url, timeout } = Application.current().config('services').crm
    if (!url) return
    const { id, name, email } = this.user
    await postJson('CRM', url, { external_id: id, name, email }, { signal: this.job.signal, timeoutSeconds: timeout })
  }
}

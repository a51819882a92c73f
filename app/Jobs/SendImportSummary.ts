import { Application } from '#kiln/foundation/application'
import { Mail } from '#kiln/mail/mail'
import { QueuedJob } from '#kiln/queue/job'
import { ImportSummary } from '#app/Mail/ImportSummary'

/** The import batch's `finally` job: mails the admin (config/services.ts `admin.email`) how it went. */
export class SendImportSummary extends QueuedJob {
  override tries = 3
  override backoff = [10, 60]

  async handle(): Promise<void> {
    const batch = await this.batch()
    if (!batch) return // pruned meanwhile: nothing left to report
    const total = batch.totalJobs
    const failed = batch.failedJobs
    const admin = Application.current().config('services').admin.email
    await Mail.to(admin).send(new ImportSummary({ total, imported: total - failed, failed }))
  }
}

import { Bus } from '#kiln/bus/bus-facade'
import { HttpError } from '#kiln/http/errors'
import type { HttpRequest } from '#kiln/http/request'
import { json, type JsonResponse } from '#kiln/http/response'
import { SendNewsletterEmail } from '#app/Jobs/SendNewsletterEmail'
import { User } from '#app/Models/User'

/** `POST /newsletter` sends one batch of mails; `GET /newsletter/batches/{id}` reports its progress. */
export class NewsletterController {
  async store(request: HttpRequest): Promise<JsonResponse> {
    const input = request.validate({ subject: 'required|string|max:255', content: 'required|string' })
    const jobs: SendNewsletterEmail[] = []
    for await (const user of User.where('subscribed', true).where('email_bounced', false).cursor()) {
      jobs.push(new SendNewsletterEmail(user, input.subject, input.content))
    }
    const batch = await Bus.batch(jobs).allowFailures().name('newsletter').onQueue('emails').dispatch()
    return json({ batch_id: batch.id, total_recipients: jobs.length }, 202)
  }

  async showBatch(request: HttpRequest) {
    const batch = await Bus.findBatch(request.params.id ?? '')
    if (!batch) throw new HttpError(404, 'No newsletter batch with that id.')
    return {
      id: batch.id,
      name: batch.name,
      progress: batch.progress(),
      total_jobs: batch.totalJobs,
      pending_jobs: batch.pendingJobs,
      processed_jobs: batch.processedJobs(),
      failed_jobs: batch.failedJobs,
      finished: batch.finished(),
      cancelled: batch.cancelled(),
    }
  }
}

import { Application } from '#kiln/foundation/application'
import { QueuedJob } from '#kiln/queue/job'
import { postJson } from '#app/Support/post-json'

/** Posts a message to the Slack incoming webhook of config/services.ts (skipped when none is set). */
export class NotifySlack extends QueuedJob {
  override tries = 3
  override backoff = [5, 30]
  override timeout = 30

  constructor(public text: string) {
    super()
  }

  async handle(): Promise<void> {
    const url = Application.current().config('services').slack.webhookUrl
    if (!url) return
    await postJson('Slack', url, { text: this.text }, { signal: this.job.signal })
  }
}

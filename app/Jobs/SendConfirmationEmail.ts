import { Mail } from '#kiln/mail/mail'
import { QueuedJob } from '#kiln/queue/job'
import { OrderConfirmation } from '#app/Mail/OrderConfirmation'
import type { Order } from '#app/Models/Order'

/** Mails the order confirmation (dispatched by `POST /orders` with a 5 s delay, on `emails`). */
export class SendConfirmationEmail extends QueuedJob {
  override tries = 3
  override backoff = [10, 60]

  constructor(public order: Order) {
    super()
  }

  async handle(): Promise<void> {
    await Mail.to(this.order.email).send(new OrderConfirmation(this.order))
  }
}

import { QueuedJob } from '#kiln/queue/job'
import type { Order } from '#app/Models/Order'

/** Charges an order (dispatched by `POST /orders` on `payments`). The seed app only marks it paid. */
export class ProcessPayment extends QueuedJob {
  override tries = 3
  override backoff = [5, 30]

  constructor(public order: Order) {
    super()
  }

  async handle(): Promise<void> {
    if (this.order.status === 'paid') return // a retry after a crash must not charge twice
    await this.order.update({ status: 'paid', paid_at: new Date() })
  }
}

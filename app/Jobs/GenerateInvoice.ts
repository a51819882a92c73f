import { mkdir, writeFile } from 'node:fs/promises'
import { Application } from '#kiln/foundation/application'
import { QueuedJob } from '#kiln/queue/job'
import type { Order } from '#app/Models/Order'

/** Writes storage/app/invoices/invoice-<id>.txt and records its path on the order (queue `documents`). */
export class GenerateInvoice extends QueuedJob {
  override tries = 3

  constructor(public order: Order) {
    super()
  }

  async handle(): Promise<void> {
    const app = Application.current()
    await mkdir(app.storagePath('app', 'invoices'), { recursive: true })
    const path = app.storagePath('app', 'invoices', `invoice-${this.order.id}.txt`)
    const { id, email, product, quantity, amount } = this.order
    await writeFile(path, `Invoice #${id}\nBill to: ${email}\n${quantity} x ${product}\nTotal: ${amount ?? 'n/a'}\n`)
    await this.order.update({ invoice_path: path })
  }
}

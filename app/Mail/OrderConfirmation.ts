import { Mailable, html, text, type Content, type Envelope } from '#kiln/mail/mail'
import type { Order } from '#app/Models/Order'

/** Sent by SendConfirmationEmail a few seconds after `POST /orders`. */
export class OrderConfirmation extends Mailable {
  constructor(public order: Order) {
    super()
  }

  envelope(): Envelope {
    return { subject: `Your order #${this.order.id} is confirmed`, tags: ['order'] }
  }

  content(): Content {
    const { id, product, quantity, status } = this.order
    return {
      html: html`<h1>Thank you for your order #${id}</h1>
<p>${quantity} × ${product}. Payment: <strong>${status}</strong>.</p>`,
      text: text`Thank you for your order #${id}

${quantity} x ${product}. Payment: ${status}.`,
    }
  }
}

import type { HttpRequest } from '#kiln/http/request'
import { json, type JsonResponse } from '#kiln/http/response'
import { GenerateInvoice } from '#app/Jobs/GenerateInvoice'
import { ProcessPayment } from '#app/Jobs/ProcessPayment'
import { SendConfirmationEmail } from '#app/Jobs/SendConfirmationEmail'
import { Order } from '#app/Models/Order'

/** `POST /orders`: stores the order and queues payment, invoice and (5 s later) the confirmation. */
export class OrderController {
  async store(request: HttpRequest): Promise<JsonResponse> {
    const input = request.validate({
      email: 'required|email|max:255',
      product: 'required|string|max:255',
      quantity: 'required|integer|min:1',
      amount: 'nullable|numeric|min:0',
    })
    const order = await Order.create({ email: input.email, product: input.product, quantity: input.quantity, amount: input.amount ?? null, status: 'pending' })

    await Promise.all([
      ProcessPayment.dispatch(order).onQueue('payments'),
      GenerateInvoice.dispatch(order).onQueue('documents'),
      SendConfirmationEmail.dispatch(order).onQueue('emails').delay(5),
    ])
    return json({ id: order.id }, 202)
  }
}

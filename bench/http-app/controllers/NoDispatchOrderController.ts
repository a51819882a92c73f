import type { HttpRequest } from '#kiln/http/request'
import { json, type JsonResponse } from '#kiln/http/response'
import { Order } from '#app/Models/Order'

/**
 * The bench's baseline: the seed app's `POST /orders` (app/Http/Controllers/OrderController.ts) minus its
 * three dispatches, so the difference between the two routes is the cost of queueing. Keep the
 * validation and the insert identical to the real controller.
 */
export class NoDispatchOrderController {
  async store(request: HttpRequest): Promise<JsonResponse> {
    const input = request.validate({
      email: 'required|email|max:255',
      product: 'required|string|max:255',
      quantity: 'required|integer|min:1',
      amount: 'nullable|numeric|min:0',
    })
    const order = await Order.create({ email: input.email, product: input.product, quantity: input.quantity, amount: input.amount ?? null, status: 'pending' })
    return json({ id: order.id }, 202)
  }
}

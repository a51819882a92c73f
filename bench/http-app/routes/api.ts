import { defineRoutes } from '#kiln/http/router'
import { OrderController } from '#app/Http/Controllers/OrderController'
import { NoDispatchOrderController } from '../controllers/NoDispatchOrderController.ts'

// Bench-only routes: the seed app's real order controller next to the same insert without dispatches.
export default defineRoutes((router) => {
  router.post('/orders', [OrderController, 'store']).name('orders.store')
  router.post('/orders-nodispatch', [NoDispatchOrderController, 'store']).name('orders.nodispatch')
})

import { defineRoutes } from '#kiln/http/router'
import { HealthController } from '#app/Http/Controllers/HealthController'
import { ImportController } from '#app/Http/Controllers/ImportController'
import { NewsletterController } from '#app/Http/Controllers/NewsletterController'
import { OrderController } from '#app/Http/Controllers/OrderController'
import { RegisterController } from '#app/Http/Controllers/RegisterController'

export default defineRoutes((router) => {
  router.get('/health', [HealthController, 'show']).name('health')

  router.post('/register', [RegisterController, 'store']).name('register')
  router.post('/orders', [OrderController, 'store']).name('orders.store')
  router.post('/newsletter', [NewsletterController, 'store']).name('newsletter.store')
  router.get('/newsletter/batches/{id}', [NewsletterController, 'showBatch']).name('newsletter.batches.show')
  router.post('/imports', [ImportController, 'store']).name('imports.store')
})

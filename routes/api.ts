import { defineRoutes } from '#kiln/http/router'
import { HealthController } from '#app/Http/Controllers/HealthController'

export default defineRoutes((router) => {
  router.get('/health', [HealthController, 'show']).name('health')
})

import type { HttpRequest } from '#kiln/http/request'

/** `GET /health`: answers while the process is up, for load balancers and uptime checks. */
export class HealthController {
  show({ app }: HttpRequest) {
    return { status: 'ok', app: app.config('app').name }
  }
}

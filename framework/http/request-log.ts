import type { FastifyReply, FastifyRequest } from 'fastify'

type LogControllerClass = typeof import('fastify').LogController

/**
 * One log line per request once it completes (`GET /health 200 1.2ms`), like `php artisan serve`,
 * instead of Fastify's "incoming request" + "request completed" pair. The class is passed in because
 * Fastify is only imported when a server is built.
 */
export function oneLinePerRequest(Base: LogControllerClass, enabled: boolean): InstanceType<LogControllerClass> {
  class RequestLog extends Base {
    override incomingRequest(): void {}

    override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
      if (this.isLogDisabled(request)) return
      const responseTime = Math.round(reply.elapsedTime * 10) / 10
      const line = `${request.method} ${request.url} ${reply.statusCode} ${responseTime}ms`
      const fields = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime }
      if (error) reply.log.error({ ...fields, err: error }, line)
      else reply.log.info(fields, line)
    }
  }
  return new RequestLog({ disableRequestLogging: !enabled })
}

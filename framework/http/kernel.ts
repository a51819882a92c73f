import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Application } from '../foundation/application.ts'
import { allowedMethods } from './allowed-methods.ts'
import { renderError } from './exception-handler.ts'
import { oneLinePerRequest } from './request-log.ts'
import { HttpRequest } from './request.ts'
import { JsonResponse } from './response.ts'
import { toFastifyPath, type Route, type RouteFile } from './router.ts'
import { loadRoutes } from './routes-file.ts'

export interface HttpServerOptions {
  /** Routes to serve instead of the app's `routes/api.ts` (tests, embedding). */
  routes?: RouteFile
  /** Log through the app's logger (`app.make('log')`). Default true; tests turn it off. */
  logger?: boolean
}

/**
 * Builds the Fastify server for an app: its routes, and Laravel's JSON answers for validation errors
 * (422), unknown routes (404), a wrong verb (405) and failures (500, with details only in debug).
 * Fastify is imported here, on first use, so commands that never serve HTTP never load it.
 */
export async function createHttpServer(app: Application, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  const config = app.config('http')
  const { default: fastify, LogController } = await import('fastify')
  const server = fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: app.make('log') }),
    logController: oneLinePerRequest(LogController, config.logRequests),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
  }) as unknown as FastifyInstance
  const routes = await loadRoutes(app, options.routes)

  drainOnClose(server)
  parseForms(server)
  server.setErrorHandler((error, request, reply) => {
    const rendered = renderError(error, app.config('app').debug)
    if (rendered.log === 'error') request.log.error({ err: error }, 'Unhandled error while handling the request')
    else if (rendered.log === 'warn') request.log.warn(`${request.method} ${request.url} answered ${rendered.status}: ${(error as Error).message}`)
    return reply.code(rendered.status).headers(rendered.headers).send(rendered.body)
  })
  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = allowedMethods(routes, path)
    if (allowed.length === 0) return reply.code(404).send({ message: 'Not Found' })
    const message = `The ${request.method} method is not supported for route ${path.replace(/^\//, '') || '/'}. Supported methods: ${allowed.join(', ')}.`
    return reply.code(405).header('allow', allowed.join(', ')).send({ message })
  })
  for (const route of routes) {
    const handle = actionHandler(app, route)
    server.route({
      method: [...route.methods],
      url: toFastifyPath(route.uri),
      handler: async (request, reply) => respond(reply, await handle(toHttpRequest(app, request))),
    })
  }
  return server
}

/**
 * A request still running when close() starts would leave its keep-alive socket open, and close()
 * would wait for the client to hang up: such requests are answered with `Connection: close`.
 */
function drainOnClose(server: FastifyInstance): void {
  let draining = false
  server.addHook('preClose', async () => {
    draining = true
  })
  server.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close')
    return payload
  })
}

/**
 * HTML forms and `curl -d` post urlencoded bodies; read them into the same shape as JSON. A CSV upload
 * (`curl --data-binary @users.csv -H 'content-type: text/csv'`) reaches the action as its text, as
 * text/plain does.
 */
function parseForms(server: FastifyInstance): void {
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  server.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body))
}

type Handler = (request: HttpRequest) => Promise<unknown>

function actionHandler(app: Application, route: Route): Handler {
  const action = route.action
  if (typeof action === 'function') return async (request) => action(request)
  const [Controller, method] = action
  // Built once per server, like Laravel caching a route's controller instance.
  const controller = new Controller(app) as Record<string, (request: HttpRequest) => unknown>
  return async (request) => controller[method]!(request)
}

function toHttpRequest(app: Application, request: FastifyRequest): HttpRequest {
  return new HttpRequest({
    method: request.method,
    url: request.url,
    params: (request.params ?? {}) as Record<string, string>,
    query: (request.query ?? {}) as Record<string, string | string[]>,
    body: request.body,
    headers: request.headers,
    app,
  })
}

/** Plain data -> JSON 200, nothing -> 204, a JsonResponse -> its status, headers and body. */
function respond(reply: FastifyReply, result: unknown): FastifyReply {
  const response = result instanceof JsonResponse ? result : new JsonResponse(result, result === undefined ? 204 : 200)
  reply.code(response.status).headers(response.headers)
  if (response.body === undefined) return reply.send()
  // Serialise here so strings and null are sent as JSON too, not as text.
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(response.body))
}

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { Application } from '../../framework/foundation/application.ts'
import { createHttpServer } from '../../framework/http/kernel.ts'
import { defineRoutes } from '../../framework/http/router.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

// A temp app whose routes/api.ts serves tests/fixtures/http/routes.ts, booted twice: debug off and on.
let temp: TempApp
let app: Application
let debugApp: Application
let server: FastifyInstance
let debugServer: FastifyInstance

const quietLogs = { logging: { default: 'null', channels: { null: { driver: 'stdout' as const, level: 'silent' as const } } } }

beforeAll(async () => {
  temp = makeTempApp()
  writeRouteFile(temp, "export { default } from '../../../fixtures/http/routes.ts'\n")
  app = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { app: { debug: false }, ...quietLogs } })
  debugApp = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { app: { debug: true }, ...quietLogs } })
  server = await createHttpServer(app, { logger: false })
  debugServer = await createHttpServer(debugApp, { logger: false })
})

function writeRouteFile(target: TempApp, source: string): void {
  mkdirSync(target.path('routes'), { recursive: true })
  writeFileSync(target.path('routes', 'api.ts'), source)
}

afterAll(async () => {
  await server?.close()
  await debugServer?.close()
  await app?.shutdown()
  await debugApp?.shutdown()
  temp?.cleanup()
})

describe('routes from routes/api.ts', () => {
  it('answers a closure route with JSON', async () => {
    const response = await server.inject({ method: 'GET', url: '/ping?x=1' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.json()).toEqual({ pong: true, query: { x: '1' } })
  })

  it('passes Laravel-style {params} to controller actions', async () => {
    const response = await server.inject({ method: 'GET', url: '/users/42' })
    expect(response.json()).toEqual({ id: '42' })
  })

  it('serves grouped routes under their prefix', async () => {
    const response = await server.inject({ method: 'GET', url: '/admin/stats' })
    expect(response.json()).toEqual({ users: 0 })
  })

  it('answers 204 with no body when an action returns nothing', async () => {
    const response = await server.inject({ method: 'DELETE', url: '/things/1' })
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')
  })

  it('answers HEAD for GET routes', async () => {
    const response = await server.inject({ method: 'HEAD', url: '/users/1' })
    expect(response.statusCode).toBe(200)
  })
})

describe('validation', () => {
  it('answers 422 with Laravel message texts and the "(and N more errors)" summary', async () => {
    const response = await server.inject({ method: 'POST', url: '/users', payload: { name: 'x'.repeat(256), password: 'short' } })
    expect(response.statusCode).toBe(422)
    expect(response.json()).toEqual({
      message: 'The email field is required. (and 2 more errors)',
      errors: {
        email: ['The email field is required.'],
        name: ['The name field must not be greater than 255 characters.'],
        password: ['The password field must be at least 8 characters.'],
      },
    })
  })

  it('measures numbers by value under integer and uses the singular for one more error', async () => {
    const response = await server.inject({ method: 'POST', url: '/users', payload: { email: 'ada@example.com', name: 'Ada', password: 12345678, age: 16 } })
    expect(response.statusCode).toBe(422)
    expect(response.json()).toEqual({
      message: 'The password field must be a string. (and 1 more error)',
      errors: { password: ['The password field must be a string.'], age: ['The age field must be at least 18.'] },
    })
  })

  it('returns the validated fields, cast to their declared types', async () => {
    const response = await server.inject({
      method: 'POST',
      url: '/users',
      payload: { email: 'ada@example.com', name: 'Ada', password: 'correct horse', age: '36', admin: true },
    })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toEqual({ created: { email: 'ada@example.com', name: 'Ada', password: 'correct horse', age: 36 } })
  })

  it('validates urlencoded form bodies like JSON ones', async () => {
    const response = await server.inject({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=ada%40example.com&name=Ada&password=correct+horse&age=40',
    })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toEqual({ created: { email: 'ada@example.com', name: 'Ada', password: 'correct horse', age: 40 } })
  })

  it('hands a text/csv or text/plain body to the action as a string (curl --data-binary @users.csv)', async () => {
    for (const type of ['text/csv', 'text/csv; charset=utf-8', 'text/plain']) {
      const response = await server.inject({ method: 'POST', url: '/echo', headers: { 'content-type': type }, payload: 'name,email\nAda,ada@example.com\n' })
      expect(response.statusCode, type).toBe(200)
      expect(response.json(), type).toEqual({ type: 'string', body: 'name,email\nAda,ada@example.com\n' })
    }
  })

  it('treats a request with no body as all fields missing', async () => {
    const response = await server.inject({ method: 'POST', url: '/users' })
    expect(response.statusCode).toBe(422)
    expect(Object.keys(response.json<{ errors: object }>().errors)).toEqual(['email', 'name', 'password'])
  })
})

describe('errors', () => {
  it('answers unknown routes with 404 JSON', async () => {
    const response = await server.inject({ method: 'GET', url: '/nowhere' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.json()).toEqual({ message: 'Not Found' })
  })

  it('answers 405 with the supported methods when only the verb is wrong', async () => {
    const response = await server.inject({ method: 'PUT', url: '/users/7?x=1' })
    expect(response.statusCode).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(response.json()).toEqual({ message: 'The PUT method is not supported for route users/7. Supported methods: GET, HEAD.' })
  })

  it('answers malformed JSON with 400 and a clear JSON message', async () => {
    const response = await server.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{"email": ' })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.json<{ message: string }>().message).toMatch(/not valid JSON/)
  })

  it('answers an unsupported body type with 415 JSON', async () => {
    const response = await server.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    expect(response.statusCode).toBe(415)
    expect(response.json<{ message: string }>().message).toMatch(/Unsupported Media Type/)
  })

  it('hides the error behind "Server Error" when debug is off', async () => {
    const response = await server.inject({ method: 'GET', url: '/boom' })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({ message: 'Server Error' })
    expect(response.body).not.toContain('kaboom')
  })

  it('shows the exception, message and trace when debug is on', async () => {
    const response = await debugServer.inject({ method: 'GET', url: '/boom' })
    expect(response.statusCode).toBe(500)
    const body = response.json<{ message: string; exception: string; trace: string[]; file: string }>()
    expect(body.message).toBe('kaboom')
    expect(body.exception).toBe('Error')
    expect(body.file).toContain('routes.ts')
    expect(body.trace.length).toBeGreaterThan(0)
  })

  it('answers an HttpError with its status and message', async () => {
    const response = await server.inject({ method: 'GET', url: '/forbidden' })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({ message: 'You shall not pass.' })
  })
})

describe('route definitions', () => {
  it('refuses a route file that does not default-export defineRoutes()', async () => {
    const broken = makeTempApp()
    try {
      writeRouteFile(broken, 'export default { nope: true }\n')
      const brokenApp = await Application.create({ basePath: broken.basePath, loadEnv: false, config: quietLogs })
      await expect(createHttpServer(brokenApp, { logger: false })).rejects.toMatchObject({ code: 'E_INVALID_ROUTE' })
      await brokenApp.shutdown()
    } finally {
      broken.cleanup()
    }
  })

  it('refuses a route pointing at a controller method that does not exist', async () => {
    class Thing {
      show() {
        return {}
      }
    }
    // @ts-expect-error "missing" is not a method of Thing: the router's types catch it first.
    const routes = defineRoutes((router) => router.get('/thing', [Thing, 'missing']))
    await expect(createHttpServer(app, { routes, logger: false })).rejects.toMatchObject({ code: 'E_INVALID_ROUTE' })
  })

  it('serves no routes (only 404s) when routes/api.ts is missing', async () => {
    const empty = makeTempApp()
    try {
      const emptyApp = await Application.create({ basePath: empty.basePath, loadEnv: false, config: quietLogs })
      const emptyServer = await createHttpServer(emptyApp, { logger: false })
      expect((await emptyServer.inject({ url: '/health' })).statusCode).toBe(404)
      await emptyServer.close()
      await emptyApp.shutdown()
    } finally {
      empty.cleanup()
    }
  })
})

describe('the http service', () => {
  it('listens on a free port and is closed by app shutdown', async () => {
    const own = await Application.create({ basePath: temp.basePath, loadEnv: false, config: quietLogs })
    const url = await own.make('http').listen('127.0.0.1', 0)
    const response = await fetch(`${url}/ping`)
    expect(await response.json()).toEqual({ pong: true, query: {} })
    const listening = (await own.make('http').server()).server
    await own.shutdown()
    expect(listening.listening).toBe(false)
  })
})

describe('logging', () => {
  it("logs one line per request, and a failed request's error with its stack, through the app's logger", async () => {
    const logged = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: { app: { debug: false }, logging: { default: 'file', level: 'info', channels: { file: { driver: 'file', path: 'storage/logs/http-test.log' } } } },
    })
    try {
      const server = await logged.make('http').server()
      await server.inject({ method: 'GET', url: '/ping' })
      await server.inject({ method: 'GET', url: '/boom' })
      const lines = readFileSync(temp.path('storage', 'logs', 'http-test.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(lines.map((line) => line.msg)).toContainEqual(expect.stringMatching(/^GET \/ping 200 [\d.]+ms$/))
      const failure = lines.find((line) => line.level === 50 && typeof line.err === 'object')
      expect((failure?.err as { message: string; stack: string }).message).toBe('kaboom')
      expect((failure?.err as { stack: string }).stack).toContain('routes.ts')
      expect(lines.some((line) => line.msg === 'incoming request')).toBe(false)
    } finally {
      await logged.shutdown()
    }
  })
})

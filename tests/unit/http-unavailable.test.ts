/**
 * A route whose queue or database is down answers 503 with a JSON message a client can act on and a
 * Retry-After header, not 500 "Server Error"; the details (server address, trace) only in debug.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { DatabaseUnreachableError } from '../../framework/database/errors.ts'
import { Application } from '../../framework/foundation/application.ts'
import { createHttpServer } from '../../framework/http/kernel.ts'
import { defineRoutes } from '../../framework/http/router.ts'
import { DatabaseQueueUnavailableError } from '../../framework/queue/drivers/database-errors.ts'
import { QueueUnavailableError } from '../../framework/queue/drivers/redis-errors.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const quietLogs = { logging: { default: 'null', channels: { null: { driver: 'stdout' as const, level: 'silent' as const } } } }

const routes = defineRoutes((router) => {
  router.post('/redis-down', () => {
    throw new QueueUnavailableError('redis', '127.0.0.1:6390', 'connection refused', new Error('connect ECONNREFUSED'))
  })
  router.post('/sql-queue-down', () => {
    throw new DatabaseQueueUnavailableError('database', 'mysql', '127.0.0.1:3307/kiln', 'connection refused', new Error('connect ECONNREFUSED'))
  })
  router.get('/db-down', () => {
    throw new DatabaseUnreachableError('pgsql', '127.0.0.1:5433/kiln', 'connection refused')
  })
})

let temp: TempApp
const apps: Application[] = []
let server: FastifyInstance
let debugServer: FastifyInstance

beforeAll(async () => {
  temp = makeTempApp()
  const app = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { app: { debug: false }, ...quietLogs } })
  const debugApp = await Application.create({ basePath: temp.basePath, loadEnv: false, config: { app: { debug: true }, ...quietLogs } })
  apps.push(app, debugApp)
  server = await createHttpServer(app, { routes, logger: false })
  debugServer = await createHttpServer(debugApp, { routes, logger: false })
})

afterAll(async () => {
  await server?.close()
  await debugServer?.close()
  for (const app of apps) await app.shutdown()
  temp?.cleanup()
})

describe('an unreachable queue or database', () => {
  it.each([
    ['POST', '/redis-down'],
    ['POST', '/sql-queue-down'],
  ] as const)('%s %s answers 503 JSON saying the job was not accepted, with Retry-After', async (method, url) => {
    const response = await server.inject({ method, url })
    expect(response.statusCode).toBe(503)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    const body = response.json<Record<string, unknown>>()
    expect(Object.keys(body)).toEqual(['message'])
    expect(body.message).toMatch(/queue.*not accepted.*try again/i)
    // The server's address and config keys are for the operator, not the client.
    expect(response.body).not.toMatch(/127\.0\.0\.1|REDIS_|DB_|ECONNREFUSED/)
  })

  it('answers 503 for a database that cannot be reached', async () => {
    const response = await server.inject({ method: 'GET', url: '/db-down' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(response.json<{ message: string }>().message).toMatch(/unavailable/i)
    expect(response.body).not.toContain('5433')
  })

  it('shows the full message, exception and trace when debug is on', async () => {
    const response = await debugServer.inject({ method: 'POST', url: '/sql-queue-down' })
    expect(response.statusCode).toBe(503)
    const body = response.json<{ message: string; exception: string; trace: string[] }>()
    expect(body.exception).toBe('DatabaseQueueUnavailableError')
    expect(body.message).toContain('127.0.0.1:3307/kiln')
    expect(body.trace.length).toBeGreaterThan(0)
  })
})

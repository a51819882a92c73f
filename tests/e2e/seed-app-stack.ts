/**
 * The seed app running as a user runs it, for tests/e2e/seed-app.test.ts: `craft serve` and two
 * `craft queue:work` processes on a throwaway app folder (config copied; app, routes and database
 * linked to the repo's), a real SMTP server, and a local HTTP server standing in for the CRM and Slack.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { repoRoot, runCraft, spawnCraft, waitForOutput, type CraftResult } from '../support/craft.ts'
import { SERVICES } from '../support/services.ts'
import { startBouncingMailServer, type BouncingMailServer } from './seed-app-smtp.ts'

export type QueueDriverName = 'database' | 'redis'

export interface ExternalCall {
  service: 'crm' | 'slack'
  body: Record<string, unknown>
  status: number
}

/** The CRM and Slack stand-in: records every call; the CRM answers 500 for emails in `failingEmails`. */
export interface ExternalServices {
  url: string
  calls: ExternalCall[]
  failingEmails: Set<string>
  close(): Promise<void>
}

export interface SeedAppStack {
  url: string
  basePath: string
  mail: BouncingMailServer
  external: ExternalServices
  db: Knex
  craft(...args: string[]): Promise<CraftResult>
  stop(): Promise<void>
}

export const WORKER_QUEUES = 'payments,emails,default,documents'
export const ADMIN_EMAIL = 'admin@kiln.test'

export async function startSeedApp(driver: QueueDriverName): Promise<SeedAppStack> {
  const basePath = makeAppFolder()
  const children: ChildProcess[] = []
  const mail = await startBouncingMailServer()
  const external = await startExternalServices()
  const prefix = `kiln_t_seed_${randomBytes(4).toString('hex')}_`
  const env: Record<string, string> = {
    APP_KEY: `base64:${randomBytes(32).toString('base64')}`,
    APP_ENV: 'testing',
    APP_DEBUG: 'true',
    LOG_CHANNEL: 'stdout',
    LOG_LEVEL: 'warn',
    HTTP_LOG_REQUESTS: 'false',
    DB_CONNECTION: 'sqlite',
    DB_DATABASE_SQLITE: join(basePath, 'database', 'database.sqlite'),
    QUEUE_CONNECTION: driver,
    QUEUE_FAILED_DRIVER: 'database',
    CACHE_STORE: 'database',
    REDIS_HOST: SERVICES.redis.host,
    REDIS_PORT: String(SERVICES.redis.port),
    REDIS_PREFIX: prefix,
    MAIL_MAILER: 'smtp',
    MAIL_HOST: '127.0.0.1',
    MAIL_PORT: String(mail.port),
    MAIL_ENCRYPTION: 'none',
    MAIL_FROM_ADDRESS: 'shop@kiln.test',
    CRM_URL: `${external.url}/crm`,
    SLACK_WEBHOOK_URL: `${external.url}/slack`,
    ADMIN_EMAIL,
  }
  const craft = (...args: string[]) => runCraft(args, { basePath, env, timeoutMs: 60_000 })
  let db: Knex | undefined

  const stop = async () => {
    await Promise.all(children.map(stopChild))
    await db?.destroy()
    await mail.close()
    await external.close()
    if (driver === 'redis') await deleteRedisKeys(prefix)
    rmSync(basePath, { recursive: true, force: true })
  }

  try {
    for (const args of [['migrate', '--force'], ['db:seed', '--force']]) {
      const result = await craft(...args)
      if (result.code !== 0) throw new Error(`craft ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
    }
    const server = spawnCraft(['serve', '--port', '0'], { basePath, env })
    children.push(server)
    const output = await waitForOutput(server, /Server running on \[(http:\/\/[^\]]+)\]/, 30_000)
    const url = /Server running on \[(http:\/\/[^\]]+)\]/.exec(output)![1]!
    for (let n = 1; n <= 2; n++) {
      const worker = spawnCraft(['queue:work', `--queue=${WORKER_QUEUES}`, '--sleep=1', `--name=worker-${n}`], { basePath, env })
      children.push(worker)
      await waitForOutput(worker, /Processing jobs from the \[/, 30_000)
    }
    const { default: knex } = await import('knex')
    db = knex({ client: 'better-sqlite3', connection: { filename: env.DB_DATABASE_SQLITE! }, useNullAsDefault: true })
    return { url, basePath, mail, external, db, craft, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A temp app folder whose app/, routes/ and database/ code is the repo's own (symlinked: one module identity). */
function makeAppFolder(): string {
  const root = join(repoRoot, 'tests', '.tmp')
  mkdirSync(root, { recursive: true })
  const basePath = mkdtempSync(join(root, 'seed-app-'))
  cpSync(join(repoRoot, 'config'), join(basePath, 'config'), { recursive: true })
  for (const dir of ['app', 'routes']) symlinkSync(join(repoRoot, dir), join(basePath, dir), 'dir')
  mkdirSync(join(basePath, 'database'))
  for (const dir of ['migrations', 'seeders']) symlinkSync(join(repoRoot, 'database', dir), join(basePath, 'database', dir), 'dir')
  for (const dir of ['storage/app', 'storage/logs', 'storage/framework']) mkdirSync(join(basePath, dir), { recursive: true })
  return basePath
}

async function startExternalServices(): Promise<ExternalServices> {
  const calls: ExternalCall[] = []
  const failingEmails = new Set<string>()
  const server: Server = createServer((request, response) => {
    void readJson(request).then((body) => {
      const service = request.url === '/crm' ? 'crm' : request.url === '/slack' ? 'slack' : null
      if (!service) return response.writeHead(404).end()
      const status = service === 'crm' && failingEmails.has(String(body.email)) ? 500 : service === 'crm' ? 201 : 200
      calls.push({ service, body, status })
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status >= 500 ? { error: 'CRM is down' } : { ok: true }))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failingEmails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of request) text += String(chunk)
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    return {}
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis({ host: SERVICES.redis.host, port: SERVICES.redis.port, lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    for (let db = 0; db <= 1; db++) {
      await redis.select(db)
      const keys: string[] = []
      for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) keys.push(...batch)
      if (keys.length > 0) await redis.del(...keys)
    }
  } finally {
    redis.disconnect()
  }
}

/**
 * Helpers for the Redis driver's tests: an Application wired to a Redis server with a key prefix of its
 * own (so parallel suites never meet), key cleanup, and throwaway redis-server processes for fault tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Knex } from 'knex'
import { Application } from '../../framework/foundation/application.ts'
import type { RedisQueueConnectionConfig } from '../../framework/queue/config.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { createRedisQueue, type RedisQueue } from '../../framework/queue/drivers/redis.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import failedMigration from '../../database/migrations/0001_01_01_000003_create_failed_jobs_table.ts'
import { createTestDatabase, SERVICES, servicesRequired } from '../support/services.ts'
import { makeTempApp } from '../support/temp-app.ts'

export interface RedisTestApp {
  app: Application
  prefix: string
  port: number
  /** A driver for queue connection "redis" (retry_after and block_for as asked). */
  queue(overrides?: Partial<RedisQueueConnectionConfig>): Promise<RedisQueue>
  /** A plain client without the prefix, for poking at keys by hand. */
  raw: Redis
  /** Deletes every key under the prefix (unless `keepKeys`) and shuts the app down. */
  cleanup(options?: { keepKeys?: boolean }): Promise<void>
}

export interface RedisAppOptions {
  port?: number
  prefix?: string
  maxRetriesPerRequest?: number
  commandTimeout?: number
  /** An app folder whose config/ to load (e.g. a temp app that dispatches jobs); by default none. */
  basePath?: string
}

export async function makeRedisApp(options: RedisAppOptions = {}): Promise<RedisTestApp> {
  const port = options.port ?? SERVICES.redis.port
  const host = SERVICES.redis.host
  const prefix = options.prefix ?? `kiln_t_${randomBytes(4).toString('hex')}:`
  // By default an empty base path: only these overrides count, so other modules' config files cannot interfere.
  const ownBasePath = options.basePath === undefined
  const basePath = options.basePath ?? mkdtempSync(join(tmpdir(), 'kiln-redis-app-'))
  const app = await Application.create({
    basePath,
    loadEnv: false,
    config: {
      redis: {
        options: { prefix, maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3, connectTimeout: 2000, commandTimeout: options.commandTimeout },
        connections: { default: { host, port, db: 0 } },
      },
    },
  })
  const drivers: RedisQueue[] = []
  const raw = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 3 })
  raw.on('error', () => undefined)
  return {
    app,
    prefix,
    port,
    raw,
    async queue(overrides = {}) {
      const config: RedisQueueConnectionConfig = { driver: 'redis', connection: 'default', queue: 'default', retry_after: 60, block_for: 2, ...overrides }
      const driver = await createRedisQueue('redis', config, app)
      drivers.push(driver)
      return driver
    },
    async cleanup({ keepKeys = false } = {}) {
      try {
        if (!keepKeys) await deleteKeys(raw, prefix)
      } catch {
        // The server of a fault test may already be gone.
      }
      for (const driver of drivers) await driver.close()
      await app.shutdown()
      raw.disconnect()
      if (ownBasePath) rmSync(basePath, { recursive: true, force: true })
    },
  }
}

export interface RedisJobsApp {
  app: Application
  prefix: string
  /** Queue connection "redis", the app's default. */
  queue: QueueDriver
  /** The SQLite connection holding failed_jobs. */
  db: Knex
  /** A plain client without the prefix. */
  raw: Redis
  cleanup(): Promise<void>
}

/**
 * A whole app on the shared Redis as users configure it: an APP_KEY (so payloads are signed), queue
 * "redis" as the default, failed jobs in a migrated SQLite database, and the cache store asked for.
 */
export async function makeRedisJobsApp(options: { cache: 'memory' | 'redis' }): Promise<RedisJobsApp> {
  const prefix = `kiln_t_app_${randomBytes(4).toString('hex')}:`
  const database = await createTestDatabase('sqlite')
  const temp = makeTempApp()
  const { host, port } = SERVICES.redis
  const app = await Application.create({
    basePath: temp.basePath,
    loadEnv: false,
    config: {
      app: { key: generateKey() },
      database: { default: 'test', connections: { test: database.config } },
      redis: { options: { prefix }, connections: { default: { host, port, db: 0 } } },
      queue: {
        default: 'redis',
        connections: { redis: { driver: 'redis', connection: 'default', queue: 'default', retry_after: 60, block_for: 1 } },
        failed: { driver: 'database', database: 'test', table: 'failed_jobs' },
      },
      cache: options.cache === 'redis' ? { default: 'redis', stores: { redis: { driver: 'redis', connection: 'default' } } } : { default: 'memory' },
    },
  })
  const db: Knex = await app.make('db').connection()
  await failedMigration.up(db)
  const raw = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 3 })
  return {
    app,
    prefix,
    queue: await app.make('queue').connection('redis'),
    db,
    raw,
    async cleanup() {
      try {
        await deleteKeys(raw, prefix)
        raw.disconnect()
      } finally {
        await app.shutdown()
        await database.drop()
        temp.cleanup()
      }
    },
  }
}

export async function keysUnder(raw: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys.sort()
}

export async function deleteKeys(raw: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(raw, prefix)
  for (let i = 0; i < keys.length; i += 500) await raw.del(...keys.slice(i, i + 500))
}

/** The driver's script pipe's line of CLIENT LIST (redis-script-pipe.ts), parsed; undefined while none is connected. */
export async function pipeClient(raw: Redis): Promise<Record<string, string> | undefined> {
  const list = String(await raw.client('LIST'))
  const line = list.split('\n').find((entry) => / name=kiln-pipe /.test(entry))
  return line ? Object.fromEntries(line.trim().split(' ').map((field) => field.split('=', 2) as [string, string])) : undefined
}

/**
 * Pushes with `push` until one went over the driver's script pipe (it opens on any call it carries made
 * once ioredis is ready, and is listed from its handshake on, before it carries anything).
 */
export async function openScriptPipe(raw: Redis, push: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 3000
  const carried = async () => (await pipeClient(raw))?.cmd === 'evalsha'
  do await push()
  while (!(await carried()) && Date.now() < deadline)
  if (!(await carried())) throw new Error('the script pipe (kiln-pipe) carried no push within 3 s')
}

/** True when a `redis-server` binary is on PATH (fault tests start their own servers with it). */
export function hasRedisServer(): boolean {
  const found = spawnSync('redis-server', ['--version']).status === 0
  if (!found && servicesRequired) throw new Error('redis-server is not on PATH, and KILN_REQUIRE_SERVICES=1 forbids skipping the Redis fault tests.')
  if (!found) console.warn('\n!!! SKIPPING: redis-server is not on PATH; the Redis fault tests need it.\n')
  return found
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A redis-server of a test's own, with AOF on so data survives a restart. */
export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'kiln-redis-server-'))
  private child: ChildProcess | undefined

  constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', this.dir, ...this.extraArgs]
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    await new Promise<void>((resolve, reject) => {
      let output = ''
      // Keeps reading after start too, so the server never blocks on a full pipe.
      child.stdout?.on('data', (chunk: Buffer) => {
        if (output.length > 100_000) return
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      })
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
      child.once('error', reject)
    })
    child.removeAllListeners('exit')
  }

  /** Graceful stop (SIGTERM: Redis flushes its AOF). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill(signal)
    })
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open but nothing answers. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal)
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  async destroy(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

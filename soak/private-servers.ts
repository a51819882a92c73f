/**
 * Servers of the soak's (or a test's) own, for outage scenarios: a redis-server (AOF on), a PostgreSQL
 * cluster and a MariaDB instance, each in a temp dir on a free port, that can be stopped, started and
 * restarted at will. The shared servers on the standard ports are never touched: other suites use them.
 * The bench's placement suite starts one too, pinned to a CPU.
 *
 * Measured on the 2-core dev VM under load: Redis starts in 0.03-0.2 s; PostgreSQL initdb 3.5-5 s, start
 * 0.2-1 s; MariaDB install-db 2.7-5.7 s, start 0.3-1.2 s (each start is timed again in `timings`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerConnectionConfig } from '../framework/database/config.ts'

export type PrivateServerKind = 'redis' | 'pgsql' | 'mysql'

export interface PrivateServerTimings {
  /** Creating the data dir (initdb, mariadb-install-db); 0 for Redis. */
  initMs: number
  /** The latest start, from spawn to the first answered query. */
  startMs: number
}

export interface PrivateServer {
  kind: PrivateServerKind
  host: string
  port: number
  /** The temp dir holding data, socket and log; removed by destroy(). */
  dir: string
  /** The SQL database created for callers (`kiln`); '' for Redis. */
  database: string
  /** When the server last began answering (epoch ms), 0 while it never has. */
  readonly acceptedAt: number
  readonly running: boolean
  readonly timings: PrivateServerTimings
  /** DB_* (SQL) or REDIS_* env pointing a `craft` child at this server. */
  env(): Record<string, string>
  /** The knex-level connection config (SQL servers only). */
  connectionConfig(): ServerConnectionConfig
  /** Starts it and waits until it answers a query (PING / SELECT 1). No-op when running. */
  start(): Promise<void>
  /** A graceful stop (Redis flushes its AOF); `crash` SIGKILLs it instead. */
  stop(mode?: 'graceful' | 'crash'): Promise<void>
  /** stop(), `downMs` of nothing listening, start(). */
  restart(downMs?: number, mode?: 'graceful' | 'crash'): Promise<void>
  /** Stops it and deletes its dir. Also done for every live server when the process exits. */
  destroy(): Promise<void>
}

/** The binary each kind needs, or null when it is installed. */
export function missingServerBinary(kind: PrivateServerKind): string | null {
  if (kind === 'redis') return onPath('redis-server') ? null : 'redis-server'
  if (kind === 'pgsql') return postgresBinDir() ? null : 'PostgreSQL server binaries (initdb, postgres)'
  return onPath('mariadbd', ['/usr/sbin']) && onPath('mariadb-install-db') ? null : 'mariadbd / mariadb-install-db'
}

export interface PrivateServerOptions {
  /** Pins the server to this CPU (Linux `taskset`): the bench's placement suite decides where it runs. */
  cpu?: number
  /** Redis only: the append-only file (default on, so data survives a restart); off for measurements, as on the shared server. */
  appendonly?: boolean
}

/** Creates (initdb / install-db) and starts a private server, waiting until it answers. */
export async function startPrivateServer(kind: PrivateServerKind, options: PrivateServerOptions = {}): Promise<PrivateServer> {
  const missing = missingServerBinary(kind)
  if (missing) throw new Error(`Cannot start a private ${kind} server: ${missing} not found.`)
  hookExit()
  const server = new ManagedServer(kind, await freePort(), mkdtempSync(join(tmpdir(), `kiln-private-${kind}-`)), options)
  live.add(server)
  try {
    await server.init()
    await server.start()
    await server.createDatabase()
  } catch (error) {
    await server.destroy()
    throw error
  }
  return server
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

const HOST = '127.0.0.1'
const DATABASE = 'kiln'
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 30_000

class ManagedServer implements PrivateServer {
  readonly host = HOST
  readonly database: string
  acceptedAt = 0
  timings: PrivateServerTimings = { initMs: 0, startMs: 0 }
  private child: ChildProcess | undefined
  private output = ''
  private destroyed = false

  constructor(
    readonly kind: PrivateServerKind,
    readonly port: number,
    readonly dir: string,
    private readonly options: PrivateServerOptions = {},
  ) {
    this.database = kind === 'redis' ? '' : DATABASE
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  env(): Record<string, string> {
    if (this.kind === 'redis') return { REDIS_HOST: HOST, REDIS_PORT: String(this.port) }
    const config = this.connectionConfig()
    return { DB_CONNECTION: this.kind, DB_HOST: HOST, DB_PORT: String(this.port), DB_DATABASE: config.database, DB_USERNAME: config.username, DB_PASSWORD: '' }
  }

  connectionConfig(): ServerConnectionConfig {
    if (this.kind === 'redis') throw new Error('A Redis server has no SQL connection config.')
    return { driver: this.kind, host: HOST, port: this.port, database: DATABASE, username: this.kind === 'pgsql' ? 'postgres' : 'root', password: '' }
  }

  async init(): Promise<void> {
    const began = Date.now()
    if (this.kind === 'pgsql') {
      const data = join(this.dir, 'data')
      ownDirForPostgres(this.dir)
      const bin = postgresBinDir() as string
      await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], this.kind, asPostgres())
    } else if (this.kind === 'mysql') {
      const root = process.getuid?.() === 0 ? ['--user=root'] : []
      await run('mariadb-install-db', ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...root, ...INNODB_SMALL], this.kind)
    }
    this.timings = { ...this.timings, initMs: Date.now() - began }
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`The private ${this.kind} server was destroyed.`)
    if (this.running) return
    const began = Date.now()
    const [server, serverArgs, options] = this.command()
    // taskset execs the server: the child is the server itself, stopped and killed as one.
    const cpu = this.options.cpu
    const [command, args] = cpu === undefined ? [server, serverArgs] : ['taskset', ['-c', String(cpu), server, ...serverArgs]]
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.child = child
    this.output = ''
    // Keeps draining after start too, so the server never blocks on a full pipe.
    const keep = (chunk: Buffer) => {
      if (this.output.length < 200_000) this.output += chunk.toString()
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    child.on('error', (error) => (this.output += `\nspawn error: ${error.message}`))
    const deadline = began + START_TIMEOUT_MS
    for (;;) {
      if (!this.running) throw new Error(`The private ${this.kind} server exited while starting: ${this.output.slice(-4000)}`)
      const attemptAt = Date.now()
      if (await answers(this.kind, this.port)) {
        this.acceptedAt = attemptAt
        break
      }
      if (Date.now() > deadline) {
        await this.stop('crash')
        throw new Error(`The private ${this.kind} server did not answer within ${START_TIMEOUT_MS / 1000}s: ${this.output.slice(-4000)}`)
      }
      await sleep(25)
    }
    this.timings = { ...this.timings, startMs: Date.now() - began }
  }

  async stop(mode: 'graceful' | 'crash' = 'graceful'): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    // PostgreSQL: SIGINT is the "fast" shutdown (clients cut off, clean checkpoint); SIGTERM would wait for them.
    child.kill(mode === 'crash' ? 'SIGKILL' : this.kind === 'pgsql' ? 'SIGINT' : 'SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    try {
      await exited
    } finally {
      clearTimeout(timer)
    }
  }

  async restart(downMs = 0, mode: 'graceful' | 'crash' = 'graceful'): Promise<void> {
    await this.stop(mode)
    if (downMs > 0) await sleep(downMs)
    await this.start()
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    try {
      await this.stop('crash')
    } finally {
      this.destroyed = true
      live.delete(this)
      rmSync(this.dir, { recursive: true, force: true })
    }
  }

  /** Synchronous cleanup for process exit: no awaiting possible there. */
  destroyNow(): void {
    this.child?.kill('SIGKILL')
    this.destroyed = true
    rmSync(this.dir, { recursive: true, force: true })
  }

  async createDatabase(): Promise<void> {
    if (this.kind === 'pgsql') await pgQuery(this.port, 'postgres', `CREATE DATABASE ${DATABASE}`)
    if (this.kind === 'mysql') await mysqlQuery(this.port, `CREATE DATABASE ${DATABASE}`)
  }

  private command(): [string, string[], { uid?: number; gid?: number }] {
    if (this.kind === 'redis') {
      return ['redis-server', ['--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', this.options.appendonly === false ? 'no' : 'yes', '--dir', this.dir], {}]
    }
    if (this.kind === 'pgsql') {
      const socketDir = join(this.dir, 'sock')
      if (!existsSync(socketDir)) mkdirSync(socketDir)
      ownDirForPostgres(socketDir)
      const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', socketDir, '-c', `listen_addresses=${HOST}`, '-c', 'fsync=off', '-c', 'max_connections=200']
      return [join(postgresBinDir() as string, 'postgres'), args, asPostgres()]
    }
    const root = process.getuid?.() === 0 ? ['--user=root'] : []
    const args = [
      '--no-defaults',
      `--datadir=${join(this.dir, 'data')}`,
      `--port=${this.port}`,
      `--socket=${join(this.dir, 'mysqld.sock')}`,
      `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      `--bind-address=${HOST}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-dump-at-shutdown=0',
      '--innodb-buffer-pool-load-at-startup=0',
      '--max-connections=300',
      ...INNODB_SMALL,
      ...root,
    ]
    return [mariadbd(), args, {}]
  }
}

/** Keeps each instance's dir small (the default redo log alone is 96 MiB). */
const INNODB_SMALL = ['--innodb-log-file-size=16M', '--innodb-buffer-pool-size=64M']

const live = new Set<ManagedServer>()
let exitHooked = false

/** Kills every live private server and removes its dir when the process ends, however it ends. */
function hookExit(): void {
  if (exitHooked) return
  exitHooked = true
  process.on('exit', () => {
    for (const server of live) server.destroyNow()
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const server of live) server.destroyNow()
      live.clear()
      // Re-raise so the process still ends with the signal's usual status.
      process.kill(process.pid, signal)
    })
  }
}

async function answers(kind: PrivateServerKind, port: number): Promise<boolean> {
  try {
    if (kind === 'redis') return await redisPing(port)
    if (kind === 'pgsql') await pgQuery(port, 'postgres', 'SELECT 1')
    else await mysqlQuery(port, 'SELECT 1')
    return true
  } catch {
    return false
  }
}

/** PING over a raw socket: +PONG only once the AOF is loaded (-LOADING before). */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

async function pgQuery(port: number, database: string, sql: string): Promise<void> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ host: HOST, port, user: 'postgres', database, connectionTimeoutMillis: 2000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query(sql)
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function mysqlQuery(port: number, sql: string): Promise<void> {
  const { default: mysql } = await import('mysql2/promise')
  const connection = await mysql.createConnection({ host: HOST, port, user: 'root', password: '', connectTimeout: 2000 })
  try {
    await connection.query(sql)
  } finally {
    await connection.end().catch(() => undefined)
  }
}

function run(command: string, args: string[], kind: PrivateServerKind, options: { uid?: number; gid?: number } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Setting up the private ${kind} server failed (${command} exited ${code}): ${output.slice(-4000)}`))))
  })
}

/** The newest /usr/lib/postgresql/<version>/bin with initdb and postgres, else one on PATH. */
function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
    for (const version of versions) {
      const bin = join(root, version, 'bin')
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin
    }
  }
  const initdb = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim()
  return initdb ? initdb.slice(0, initdb.lastIndexOf('/')) : null
}

function mariadbd(): string {
  return existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd'
}

function onPath(command: string, extraDirs: string[] = []): boolean {
  if (extraDirs.some((dir) => existsSync(join(dir, command)))) return true
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/** PostgreSQL refuses to run as root: as root, its processes run as the `postgres` user. */
function asPostgres(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('Running as root, but there is no `postgres` user to run a private PostgreSQL as.')
  return { uid, gid }
}

function ownDirForPostgres(dir: string): void {
  const { uid, gid } = asPostgres()
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

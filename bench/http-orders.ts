/**
 * The HTTP suite (issue 6): the seed app's `POST /orders` (stores the order, dispatches three jobs on the
 * Redis queue) against the same route without the dispatches, served by `craft serve` from the bench
 * app in bench/http-app/ (the skeleton's config, and routes that point `/orders` at the real
 * OrderController and `/orders-nodispatch` at a copy of it without the dispatches). Same load for both
 * from a local load generator: wrk when it is installed, else a keep-alive fetch loop in this process.
 *
 *   npm run bench -- --suite=http [--repeat=R] [--quick]
 *   KILN_BENCH_HTTP_DURATION=10 KILN_BENCH_HTTP_CONNECTIONS=50 (the defaults; --quick runs 3 s)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKey } from '../framework/support/app-key.ts'
import type { Section } from './report.ts'
import type { Recorder } from './recorder.ts'
import { freshRedisPrefix, reachable, servers } from './servers.ts'

export interface HttpSuiteOptions {
  repeat: number
  quick: boolean
}

interface LoadResult {
  rps: number
  requests: number
  /** Non-2xx answers plus socket errors: any of them voids the run. */
  errors: number
  detail: string
  p50Ms: number | null
  p99Ms: number | null
}

const root = fileURLToPath(new URL('../', import.meta.url))
const craft = join(root, 'bin', 'craft')
const benchApp = fileURLToPath(new URL('./http-app/', import.meta.url))
const ORDER = JSON.stringify({ email: 'buyer@example.com', product: 'Kiln mug', quantity: 2, amount: 19.9 })
const routes = [
  { key: 'orders', path: '/orders', label: 'POST /orders (3 dispatches)' },
  { key: 'nodispatch', path: '/orders-nodispatch', label: 'same route, no dispatch' },
] as const

export async function httpSuite(options: HttpSuiteOptions, recorder: Recorder): Promise<Section[]> {
  if (!(await reachable('redis'))) return [{ title: 'HTTP: SKIPPED (Redis not reachable)', rows: [], notes: [] }]
  const duration = Number(process.env.KILN_BENCH_HTTP_DURATION ?? (options.quick ? 3 : 10))
  const connections = Number(process.env.KILN_BENCH_HTTP_CONNECTIONS ?? 50)
  const generator = hasWrk() ? `wrk 1 thread, ${connections} connections` : `keep-alive fetch loop, ${connections} connections (wrk not installed)`
  const redis = await freshRedisPrefix()
  const prefix = redis.target.kind === 'redis' ? redis.target.prefix : ''
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-http-'))
  let server: ChildProcess | undefined
  const notes: string[] = []
  try {
    const env = serverEnv(join(dir, 'bench.sqlite'), prefix)
    migrate(env)
    const started = await serve(env)
    server = started.child
    // Warm-up: JIT, the SQLite and Redis connections, Fastify's route cache; not recorded.
    for (const route of routes) await load(started.url + route.path, Math.min(duration, 3), connections, dir)
    for (let r = 0; r < options.repeat; r++) {
      process.stderr.write(`HTTP, repeat ${r + 1}/${options.repeat}\n`)
      const order = r % 2 === 0 ? routes : [...routes].reverse()
      for (const route of order) {
        await recorder.attempt(`http ${route.path}`, async () => {
          // Let the previous run's last in-flight requests finish, then start from an empty queue.
          await new Promise((resolve) => setTimeout(resolve, 500))
          await redis.drop()
          const result = await load(started.url + route.path, duration, connections, dir)
          if (result.errors > 0) throw new Error(`${result.errors} of ${result.requests} requests failed: ${result.detail}`)
          const queued = await queuedPayments(prefix)
          // Every 202 of /orders was answered after its dispatches landed; /orders-nodispatch queues nothing.
          const expected = route.key === 'orders' ? queued >= result.requests : queued === 0
          if (!expected) throw new Error(`${queued} payments job(s) queued for ${result.requests} ${route.path} requests`)
          process.stderr.write(`  ${route.path}: ${Math.round(result.rps).toLocaleString('en-US')} req/s (${result.requests} requests, p50 ${fmt(result.p50Ms)} ms, p99 ${fmt(result.p99Ms)} ms, ${queued} payments jobs queued)\n`)
          recorder.add(`http.${route.key}`, result.rps)
        })
      }
    }
    notes.push(
      `craft serve of bench/http-app (seed OrderController) on a fresh SQLite file, QUEUE_CONNECTION=redis, LOG_LEVEL=warn; ${duration} s per run after a warm-up; load: ${generator}.`,
      'Each run starts on an empty Redis prefix; /orders runs are checked to have queued one payments job per 202.',
    )
  } finally {
    await stop(server)
    await redis.drop()
    rmSync(dir, { recursive: true, force: true })
  }
  return [
    {
      title: 'HTTP: POST /orders on the Redis queue vs the same route without dispatches',
      rows: [
        { metric: 'POST /orders', unit: 'req/s', kiln: 'http.orders', peer: { label: routes[1].label, key: 'http.nodispatch' }, target: { kind: 'ratio', op: '>=', value: 0.7 } },
      ],
      notes,
    },
  ]
}

function serverEnv(sqliteFile: string, prefix: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KILN_BASE_PATH: benchApp,
    APP_ENV: 'production',
    APP_DEBUG: 'false',
    APP_KEY: generateKey(),
    LOG_CHANNEL: 'stdout',
    LOG_LEVEL: 'warn',
    DB_CONNECTION: 'sqlite',
    DB_DATABASE_SQLITE: sqliteFile,
    QUEUE_CONNECTION: 'redis',
    REDIS_URL: '',
    REDIS_HOST: servers.redis.host,
    REDIS_PORT: String(servers.redis.port),
    REDIS_PREFIX: prefix,
  }
}

/** The skeleton's migrations (users, orders, ...) on the bench's SQLite file. */
function migrate(env: NodeJS.ProcessEnv): void {
  const result = spawnSync(craft, ['migrate', '--force', '--path', join(root, 'database', 'migrations')], { env, encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) throw new Error(`craft migrate failed (${result.status}): ${result.stderr || result.stdout}`)
}

/** `craft serve --port 0`, resolved with the URL it prints once it listens. */
function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(craft, ['serve', '--host', '127.0.0.1', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error(`craft serve did not start within 30 s:\n${output}`)), 30_000)
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Server running on \[(http:\/\/[^\]]+)\]/.exec(output)
      if (!match?.[1]) return
      clearTimeout(timer)
      // Keep draining the pipes so a chatty server never blocks on a full buffer.
      child.stdout?.off('data', onData)
      child.stdout?.resume()
      resolve({ child, url: match[1].replace(/\/$/, '') })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => fail(new Error(`craft serve exited with ${code}:\n${output}`)))
  })
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  // Drop serve()'s start-up listener (it treats an exit as a failed start), then wait for ours.
  child.removeAllListeners('exit')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function queuedPayments(prefix: string): Promise<number> {
  const { Redis } = await import('ioredis')
  const redis = new Redis({ host: servers.redis.host, port: servers.redis.port, lazyConnect: true })
  try {
    await redis.connect()
    return await redis.llen(`${prefix}queues:{payments}`)
  } finally {
    redis.disconnect()
  }
}

function load(url: string, seconds: number, connections: number, dir: string): Promise<LoadResult> {
  return hasWrk() ? wrk(url, seconds, connections, dir) : fetchLoop(url, seconds, connections)
}

let wrkInstalled: boolean | undefined
function hasWrk(): boolean {
  if (process.env.KILN_BENCH_LOAD === 'node') return false
  wrkInstalled ??= spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined
  return wrkInstalled
}

async function wrk(url: string, seconds: number, connections: number, dir: string): Promise<LoadResult> {
  const script = join(dir, 'post-order.lua')
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${ORDER}'\nwrk.headers["Content-Type"] = "application/json"\n`)
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '--latency', '-s', script, url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}:\n${text}`))))
  })
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const total = /(\d+) requests in/.exec(out)
  if (!rps?.[1] || !total?.[1]) throw new Error(`unexpected wrk output:\n${out}`)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  const detail = `${non2xx} non-2xx; socket errors: ${socket ? socket.slice(1).join('/') : '0'} (connect/read/write/timeout)`
  return { rps: Number(rps[1]), requests: Number(total[1]), errors: non2xx + socketErrors, detail, p50Ms: wrkPercentile(out, '50%'), p99Ms: wrkPercentile(out, '99%') }
}

/** wrk --latency prints `50%  12.34ms` (or us / s). */
function wrkPercentile(out: string, label: string): number | null {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out)
  if (!match?.[1]) return null
  const factor = match[2] === 'us' ? 0.001 : match[2] === 's' ? 1000 : 1
  return Number(match[1]) * factor
}

/** The fallback generator: `connections` loops of keep-alive fetch (undici) for `seconds`. */
async function fetchLoop(url: string, seconds: number, connections: number): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  const end = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now()
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER })
        await response.arrayBuffer()
        if (response.status < 200 || response.status >= 300) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null
  return { rps: latencies.length / elapsed, requests: latencies.length, errors, detail: `${errors} non-2xx or failed fetches`, p50Ms: at(50), p99Ms: at(99) }
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(1)
}

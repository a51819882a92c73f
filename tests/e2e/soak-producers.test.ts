/**
 * The soak fixture's producers as a user meets them: `craft soak:dispatch` and `POST /jobs` on
 * `craft serve`. While the queue's server is unreachable (nothing listens on its port) the CLI exits 1
 * with one readable line and the route answers 503 JSON with Retry-After; while it is up (SQLite) both
 * store the job.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCraft, spawnCraft, waitForOutput } from '../support/craft.ts'

const soakApp = join(import.meta.dirname, '..', 'fixtures', 'soak-app')
const base = { APP_ENV: 'testing', APP_KEY: '', LOG_CHANNEL: 'stdout', HTTP_LOG_REQUESTS: 'false', CACHE_STORE: 'memory' }

let deadPort: number
let dir: string
let sqlite: Record<string, string>

beforeAll(async () => {
  deadPort = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'kiln-soak-producers-'))
  sqlite = { ...base, DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: join(dir, 'db.sqlite'), QUEUE_CONNECTION: 'database' }
  const migrated = await runCraft(['migrate', '--force'], { basePath: soakApp, env: sqlite, timeoutMs: 60_000 })
  expect(migrated.code, migrated.stderr).toBe(0)
}, 90_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The queue's server on a port where nothing listens, per backend. */
function downEnv(backend: 'pgsql' | 'mysql' | 'redis'): Record<string, string> {
  if (backend === 'redis') return { ...sqlite, QUEUE_CONNECTION: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: String(deadPort) }
  return { ...base, DB_CONNECTION: backend, DB_HOST: '127.0.0.1', DB_PORT: String(deadPort), DB_DATABASE: 'kiln', QUEUE_CONNECTION: 'database' }
}

describe('craft soak:dispatch', () => {
  it.each(['pgsql', 'mysql', 'redis'] as const)('exits 1 with one readable line when the %s server is down', async (backend) => {
    const run = await runCraft(['soak:dispatch', 'k1'], { basePath: soakApp, env: downEnv(backend), timeoutMs: 60_000 })
    expect(run.code).toBe(1)
    const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.trim() !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`127.0.0.1:${deadPort}`)
    expect(lines[0]).toMatch(/cannot reach .*then retry/)
  }, 60_000)

  it('exits 0 once the job is stored', async () => {
    const run = await runCraft(['soak:dispatch', 'k2', 'k3'], { basePath: soakApp, env: sqlite, timeoutMs: 60_000 })
    expect(run.code, run.stderr).toBe(0)
    expect(await queuedKeys()).toEqual(expect.arrayContaining(['k2', 'k3']))
  }, 60_000)
})

describe('POST /jobs on craft serve', () => {
  it('answers 503 JSON with Retry-After while the queue database is down, and 202 with the job stored while it is up', async () => {
    const down = await serve(downEnv('pgsql'))
    try {
      const response = await postJob(down.url, 'h1')
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
      const body = (await response.json()) as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['message'])
      expect(String(body.message)).toMatch(/not accepted/)
    } finally {
      await down.stop()
    }
    const up = await serve(sqlite)
    try {
      const response = await postJob(up.url, 'h2')
      expect(response.status).toBe(202)
      expect(await response.json()).toEqual({ queued: 'h2' })
    } finally {
      await up.stop()
    }
    expect(await queuedKeys()).toContain('h2')
  }, 90_000)
})

async function serve(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawnCraft(['serve', '--port', '0'], { basePath: soakApp, env })
  const output = await waitForOutput(child, /Server running on \[(http:\/\/[^\]]+)\]/, 60_000)
  const url = /Server running on \[(http:\/\/[^\]]+)\]/.exec(output)?.[1] as string
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

function postJob(url: string, key: string): Promise<Response> {
  return fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })
}

/** The ledger keys of the SoakJobs in the SQLite jobs table. */
async function queuedKeys(): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(join(dir, 'db.sqlite'), { readonly: true })
  try {
    const rows = db.prepare('SELECT payload FROM jobs').all() as { payload: string }[]
    return rows.map((row) => (JSON.parse(row.payload) as { data: { key: string } }).data.key)
  } finally {
    db.close()
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port
      probe.close(() => resolve(port))
    })
  })
}

/**
 * `queue:work` while its server (Redis, PostgreSQL, MariaDB) goes away and comes back: each test runs a
 * private server on a free port (soak/private-servers.ts), never the shared one. The worker must ride
 * out the outage in the same process, say so briefly, and take jobs again by itself once the server is
 * back, on every driver. (Redis producer-side faults: redis-restart.test.ts.)
 */
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import type { QueueDriver } from '../../framework/queue/contracts.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import { missingServerBinary, startPrivateServer, type PrivateServer, type PrivateServerKind } from '../../soak/private-servers.ts'
import { RecordJob } from '../fixtures/app/app/Jobs/RecordJob.ts'
import { repoRoot, runCraft, spawnCraft } from '../support/craft.ts'
import { servicesRequired } from '../support/services.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

function serverAvailable(kind: PrivateServerKind): boolean {
  const missing = missingServerBinary(kind)
  if (missing && servicesRequired) throw new Error(`${missing} is not installed, and KILN_REQUIRE_SERVICES=1 forbids skipping the ${kind} outage tests.`)
  if (missing) console.warn(`\n!!! SKIPPING: ${missing} is not installed; the ${kind} worker outage tests need it.\n`)
  return !missing
}

for (const kind of ['redis', 'pgsql', 'mysql'] as const) {
  describe.skipIf(!serverAvailable(kind))(`queue:work on ${kind} across a server outage`, () => {
    let app: TempApp
    let server: PrivateServer
    let producer: Application
    let queue: QueueDriver
    let worker: ChildProcess | undefined
    let env: Record<string, string>

    beforeAll(async () => {
      server = await startPrivateServer(kind)
      app = makeTempApp()
      cpSync(join(repoRoot, 'tests', 'fixtures', 'app', 'app', 'Jobs'), app.path('app', 'Jobs'), { recursive: true })
      cpSync(join(repoRoot, 'database', 'migrations'), app.path('database', 'migrations'), { recursive: true })
      env = {
        APP_ENV: 'testing',
        CACHE_STORE: 'memory',
        ...(kind === 'redis'
          ? { ...server.env(), QUEUE_CONNECTION: 'redis', REDIS_PREFIX: 'kiln_outage_', REDIS_QUEUE_BLOCK_FOR: '1', REDIS_QUEUE_RETRY_AFTER: '5', DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: app.path('database', 'test.sqlite') }
          : { ...server.env(), QUEUE_CONNECTION: 'database', DB_QUEUE_RETRY_AFTER: '5' }),
      }
      const migrated = await runCraft(['migrate', '--force'], { basePath: app.basePath, env, timeoutMs: 60_000 })
      if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stdout}${migrated.stderr}`)
      producer = await Application.create({
        basePath: app.basePath,
        loadEnv: false,
        config:
          kind === 'redis'
            ? { redis: { options: { prefix: 'kiln_outage_' }, connections: { default: { host: server.host, port: server.port, db: 0 } } } }
            : { database: { default: 'outage', connections: { outage: server.connectionConfig() } } },
      })
      queue = await producer.make('queue').connection(kind === 'redis' ? 'redis' : 'database')
    }, 120_000)

    afterEach(async () => {
      if (worker && worker.exitCode === null && worker.signalCode === null) {
        const exited = new Promise((resolve) => worker?.once('exit', resolve))
        worker.kill('SIGKILL')
        await exited
      }
      worker = undefined
    })

    afterAll(async () => {
      await producer?.shutdown()
      await server?.destroy()
      app?.cleanup()
    })

    const records = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [])

    async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('condition not met in time')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }

    it('keeps the same process through an outage longer than the job timeout, and works again once the server is back', async () => {
      const ledger = app.path(`${kind}-outage.log`)
      await queue.pushRaw(encodeJob(new RecordJob(ledger, 'before', 1000)).payload)
      let output = ''
      worker = spawnCraft(['queue:work', '--sleep=1', '--tries=0', '--timeout=2'], { basePath: app.basePath, env })
      worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const pid = worker.pid
      await until(() => records(ledger).includes('before start 1'))

      // The job finishes while the server is gone: its acknowledgement cannot be written for longer than
      // timeout + grace. That is no job blocking the event loop, and no reason for the process to die.
      const beforeOutage = output.length
      await server.stop()
      await until(() => records(ledger).includes('before done 1'))
      await new Promise((resolve) => setTimeout(resolve, 6000))
      expect(worker.exitCode, output).toBeNull()
      expect(worker.signalCode, output).toBeNull()
      await server.start()

      // What the operator reads meanwhile: which connection cannot reach which server, one line each time,
      // not a failed SQL statement spread over a screen.
      const lines = output
        .slice(beforeOutage)
        .split('\n')
        .map((line) => line.trim())
      const errors = lines.filter((line) => line.startsWith('ERROR'))
      expect(errors.length, output).toBeGreaterThan(0)
      for (const line of errors) expect(line, output).toMatch(new RegExp(`Queue connection "(redis|database)" cannot reach .*127\\.0\\.0\\.1:${server.port}`))
      expect(lines.filter((line) => /\b(SELECT|DELETE FROM|UPDATE|RETURNING|FOR UPDATE)\b/.test(line)), output).toEqual([])
      // A pooled connection that dropped is the driver library's business: the next query reports it, once.
      expect(lines.filter((line) => line.startsWith('knex:')), output).toEqual([])

      await queue.pushRaw(encodeJob(new RecordJob(ledger, 'after')).payload)
      await until(() => records(ledger).includes('after done 1'))
      expect(worker.pid).toBe(pid)
      expect(worker.exitCode, output).toBeNull()
      expect(output).not.toContain('watchdog')
    }, 90_000)

    it('starts while the server is down, waits for it with a line a try, and works once it is up', async () => {
      await server.stop()
      let output = ''
      worker = spawnCraft(['queue:work', '--sleep=1', '--tries=0', '--timeout=2'], { basePath: app.basePath, env })
      worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const pid = worker.pid
      try {
        // A worker that exits here is restarted by its supervisor only to exit again: a crash loop.
        await until(() => (output.match(/cannot reach/g) ?? []).length >= 2 || worker?.exitCode !== null)
        expect(worker.exitCode, output).toBeNull()
      } finally {
        await server.start()
      }
      const ledger = app.path(`${kind}-late.log`)
      await queue.pushRaw(encodeJob(new RecordJob(ledger, 'late')).payload)
      await until(() => records(ledger).includes('late done 1'))
      expect(worker.pid).toBe(pid)
      expect(worker.exitCode, output).toBeNull()
    }, 90_000)

    it.skipIf(kind === 'redis')('reports the restart signal it cannot read from the database cache store during the outage as a readable line too', async () => {
      await server.stop()
      let output = ''
      // The skeleton's default: the queue:restart signal lives in the database cache store, on the same server.
      worker = spawnCraft(['queue:work', '--sleep=1', '--tries=0', '--timeout=2'], { basePath: app.basePath, env: { ...env, CACHE_STORE: 'database' } })
      worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      try {
        await until(() => (output.match(/cannot reach/g) ?? []).length >= 2 || worker?.exitCode !== null)
        expect(worker.exitCode, output).toBeNull()
      } finally {
        await server.start()
      }
      const errors = output
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('ERROR'))
      expect(errors.length, output).toBeGreaterThan(0)
      // Each line says what could not be done and names the server, in Kiln's words rather than a bare driver error.
      for (const line of errors) expect(line, output).toMatch(new RegExp(`^ERROR\\s+\\w+Error: (Queue connection|Cannot read the queue restart signal).*127\\.0\\.0\\.1:${server.port}`))
      expect(errors.filter((line) => /^ERROR\s+Error:/.test(line)), output).toEqual([])
    }, 90_000)

    // A producer may still have to withdraw a push the server committed as it shut down (its reply lost):
    // workers give back what they claim from a server that started less than 3 s ago.
    it.skipIf(kind === 'redis')('gives back jobs claimed from a server that has just started, and claims them once it has been up 3 s', async () => {
      await server.restart(200)
      await queue.pushRaw('held', 'hold')
      expect(await queue.pop('hold', 10)).toEqual([])
      expect(await queue.size('hold')).toBe(1)
      await until(() => Date.now() - server.acceptedAt > 4000)
      const [job, ...more] = await queue.pop('hold', 10)
      expect(more).toEqual([])
      expect(job?.rawBody).toBe('held')
      // The claim given back took its attempt back with it.
      expect(job?.attempts).toBe(1)
      await job?.delete()
    }, 60_000)
  })
}

/**
 * The database queue when its SQL server goes away, seen by a producer: each test puts a TCP proxy
 * between the driver and the shared server and cuts it (the shared server itself is never touched).
 * A push must fail with E_QUEUE_UNAVAILABLE instead of hanging, store nothing, and work again afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerConnectionConfig } from '../../framework/database/config.ts'
import { reachableConnection } from '../../framework/database/connection-check.ts'
import { Application } from '../../framework/foundation/application.ts'
import { createDatabaseQueue } from '../../framework/queue/drivers/database.ts'
import { probeService, type TestDatabase } from '../support/services.ts'
import { captureLog } from '../support/captured-log.ts'
import { TcpProxy } from '../support/tcp-proxy.ts'
import { createQueueDatabase, queueConnectionConfig, repoRoot } from '../drivers/database-queue-setup.ts'

for (const engine of ['pgsql', 'mysql'] as const) {
  describe.skipIf(!(await probeService(engine)))(`database queue on ${engine} while the server is unreachable`, () => {
    let database: TestDatabase
    let proxy: TcpProxy
    const apps: Application[] = []

    beforeAll(async () => {
      database = await createQueueDatabase(engine)
      const config = database.config as ServerConnectionConfig
      proxy = await TcpProxy.start({ host: config.host, port: config.port })
    })

    afterAll(async () => {
      for (const app of apps) await app.shutdown()
      await proxy?.close()
      await database?.drop()
    })

    /** An app whose connection goes through the proxy (a short connect timeout keeps the blackhole test quick). */
    async function appThroughProxy(): Promise<Application> {
      const config: ServerConnectionConfig = { ...(database.config as ServerConnectionConfig), host: '127.0.0.1', port: proxy.port, connectTimeout: 500 }
      const app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { database: { default: 'testdb', connections: { testdb: config } } } })
      apps.push(app)
      return app
    }

    /** An app on the shared server itself, for looking at what the proxied one stored. */
    async function directApp(): Promise<Application> {
      const app = await Application.create({ basePath: repoRoot, loadEnv: false, config: { database: { default: 'testdb', connections: { testdb: database.config } } } })
      apps.push(app)
      return app
    }

    it('fails push, later and bulk with E_QUEUE_UNAVAILABLE naming the connection, stores none of them, and pushes again once the server is back', async () => {
      const driver = await createDatabaseQueue('database', queueConnectionConfig(60), await appThroughProxy())
      await driver.clear('down')
      await driver.pushRaw('before', 'down')
      await proxy.set('refuse')
      try {
        for (const attempt of [() => driver.pushRaw('push', 'down'), () => driver.pushRaw('later', 'down', { delay: 10 }), () => driver.bulkRaw(['bulk-1', 'bulk-2'], 'down')]) {
          const error = await attempt().then(
            () => null,
            (caught: unknown) => caught,
          )
          expect(error).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
          expect((error as Error).message).toContain(`"database"`)
          expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}`)
        }
      } finally {
        await proxy.set('forward')
      }
      await driver.pushRaw('after', 'down')
      const jobs = await driver.pop('down', 10)
      expect(jobs.map((job) => job.rawBody).sort()).toEqual(['after', 'before'])
      for (const job of jobs) await job.delete()
      await driver.close()
    })

    it('withdraws a push the server committed but whose reply was lost, once the server answers again, so it never runs', async () => {
      const app = await appThroughProxy()
      const logged = captureLog(app)
      const driver = await createDatabaseQueue('database', queueConnectionConfig(60), app)
      const direct = await createDatabaseQueue('database', queueConnectionConfig(60), await directApp())
      await direct.clear('doubt')
      await driver.pushRaw('warm-up', 'doubt')
      for (const job of await direct.pop('doubt', 10)) await job.delete()

      const lost = proxy.loseNextReply()
      const pushed = driver.pushRaw('in-doubt', 'doubt').then(
        () => 'answered as stored',
        (error: unknown) => error,
      )
      await lost
      try {
        expect(await pushed).toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
        // The fault was reproduced: the server committed the push that failed.
        expect(await direct.size('doubt')).toBe(1)
      } finally {
        await proxy.set('forward')
      }
      const deadline = Date.now() + 5000
      while (Date.now() < deadline && !logged.some((line) => /withdrew/.test(line.msg))) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(logged.find((line) => /withdrew/.test(line.msg))).toMatchObject({ level: 40, msg: expect.stringMatching(/withdrew 1 job/) })
      expect(await direct.size('doubt')).toBe(0)
      expect(await direct.pop('doubt', 10)).toEqual([])
    })

    it('fails with E_QUEUE_UNAVAILABLE when the server is already down as the connection is first opened', async () => {
      await proxy.set('refuse')
      try {
        const app = await appThroughProxy()
        const pushed = createDatabaseQueue('database', queueConnectionConfig(60), app).then((driver) => driver.pushRaw('never', 'cold'))
        await expect(pushed).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
      } finally {
        await proxy.set('forward')
      }
    })

    it('gives up on a connect that is never answered (DB_CONNECT_TIMEOUT) instead of hanging', async () => {
      await proxy.set('blackhole')
      try {
        // A fresh app: no pooled connection, so the push has to open one.
        const pushed = createDatabaseQueue('database', queueConnectionConfig(60), await appThroughProxy()).then((driver) => driver.pushRaw('stalled', 'stall'))
        await expect(pushed).rejects.toMatchObject({ code: 'E_QUEUE_UNAVAILABLE' })
      } finally {
        await proxy.set('forward')
      }
      const driver = await createDatabaseQueue('database', queueConnectionConfig(60), await appThroughProxy())
      expect(await driver.size('stall')).toBe(0)
      await driver.close()
    })

    it('reports a connect that is never answered as E_DB_UNREACHABLE to commands that check the connection first', async () => {
      await proxy.set('blackhole')
      try {
        await expect(reachableConnection(await appThroughProxy())).rejects.toMatchObject({ code: 'E_DB_UNREACHABLE' })
      } finally {
        await proxy.set('forward')
      }
    })
  })
}


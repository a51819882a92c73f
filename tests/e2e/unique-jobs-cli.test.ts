/**
 * Unique jobs across processes: the lock lives in the shared cache store (the database store, on the
 * app's SQLite file), so a dispatch in this process is refused while the job is queued, and accepted
 * again once a `craft queue:work` process has run it and released the lock it carried in its payload.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Application } from '../../framework/foundation/application.ts'
import { QueuedJob } from '../../framework/queue/job.ts'
import type { ShouldBeUnique } from '../../framework/queue/unique-jobs.ts'
import { generateKey } from '../../framework/support/app-key.ts'
import { runCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

// The worker loads the class from the temp app's app/Jobs; this twin (same name and data) dispatches it.
class RebuildReport extends QueuedJob implements ShouldBeUnique {
  static shouldBeUnique = true
  constructor(
    public reportId: number,
    public marker: string,
  ) {
    super()
  }
  uniqueId() {
    return this.reportId
  }
  handle() {}
}

const JOB_FILE = `import { writeFileSync } from 'node:fs'
import { QueuedJob } from '#kiln/queue/job'

export class RebuildReport extends QueuedJob {
  static shouldBeUnique = true
  constructor(public reportId: number, public marker: string) {
    super()
  }
  uniqueId() {
    return this.reportId
  }
  handle() {
    writeFileSync(this.marker, 'ran')
  }
}
`

describe('unique jobs across processes (database cache store, craft queue:work)', () => {
  let temp: TempApp
  let app: Application
  let env: Record<string, string>

  beforeAll(async () => {
    temp = makeTempApp({ copy: ['database/migrations'] })
    mkdirSync(temp.path('app', 'Jobs'), { recursive: true })
    writeFileSync(temp.path('app', 'Jobs', 'RebuildReport.ts'), JOB_FILE)
    const file = temp.path('database', 'test.sqlite')
    const key = generateKey()
    env = { APP_ENV: 'testing', APP_KEY: key, DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: file, QUEUE_CONNECTION: 'database', CACHE_STORE: 'database' }
    const migrated = await runCraft(['migrate', '--force'], { basePath: temp.basePath, env })
    expect(migrated.code, migrated.stderr).toBe(0)
    app = await Application.create({
      basePath: temp.basePath,
      loadEnv: false,
      config: { app: { key, previousKeys: [] }, cache: { default: 'database' }, database: { default: 'sqlite', connections: { sqlite: { driver: 'sqlite', database: file } } } },
    })
  }, 90_000)

  afterAll(async () => {
    await app?.shutdown()
    temp?.cleanup()
  })

  it('refuses a duplicate while queued and accepts it once another process has run the job', async () => {
    const first = temp.path('storage', 'first')
    expect(await RebuildReport.dispatch(1, first)).toEqual(expect.any(String))
    expect(await RebuildReport.dispatch(1, temp.path('storage', 'dropped'))).toBeNull()

    const worked = await runCraft(['queue:work', '--stop-when-empty', '--sleep=0'], { basePath: temp.basePath, env, timeoutMs: 60_000 })
    expect(worked.code, worked.stderr).toBe(0)
    expect(existsSync(first)).toBe(true)
    expect(existsSync(temp.path('storage', 'dropped'))).toBe(false)

    expect(await RebuildReport.dispatch(1, temp.path('storage', 'second'))).toEqual(expect.any(String))
  })
})

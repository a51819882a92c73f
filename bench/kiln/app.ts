/**
 * A Kiln application for one bench target, built as a user's app would be (config files loaded from the
 * repo's config/), with a `bench` database or Redis connection and a `bench` queue connection on it as
 * the default. On SQL targets the app's own migrations create the `jobs` table, as `craft migrate` does.
 *
 * Import this module before any job module: today framework/queue/job.ts imported first runs into an
 * import cycle (job -> pending-dispatch -> application -> providers -> mail -> job), as bin/craft never
 * does because it loads the application first.
 */
import { fileURLToPath } from 'node:url'
import { Application } from '../../framework/foundation/application.ts'
import type { ConfigOverrides } from '../../framework/foundation/config.ts'
import type { Target } from '../protocol.ts'

export const CONNECTION = 'bench'

const basePath = fileURLToPath(new URL('../..', import.meta.url))

export async function benchApp(target: Target): Promise<Application> {
  return Application.create({ basePath, loadEnv: false, config: overrides(target) })
}

/** Runs the app's migrations (jobs, failed_jobs, ...) on the fresh bench database. */
export async function migrate(app: Application): Promise<void> {
  const { Migrator } = await import('../../framework/database/migrator.ts')
  const migrator = await Migrator.forApp(app, { connection: CONNECTION })
  await migrator.run()
}

function overrides(target: Target): ConfigOverrides {
  // The memory cache keeps the worker's restart-signal reads off the measured server.
  const cache = { default: 'memory' }
  if (target.kind === 'sql') {
    return {
      cache,
      database: { default: CONNECTION, connections: { [CONNECTION]: target.config } },
      queue: {
        default: CONNECTION,
        connections: { [CONNECTION]: { driver: 'database', connection: CONNECTION, table: 'jobs', queue: 'default', retry_after: 90 } },
        failed: { driver: 'database', database: CONNECTION, table: 'failed_jobs' },
      },
    } as ConfigOverrides
  }
  return {
    cache,
    redis: { connections: { [CONNECTION]: { host: target.host, port: target.port, db: 0, keyPrefix: `${target.prefix}:` } } },
    queue: {
      default: CONNECTION,
      connections: { [CONNECTION]: { driver: 'redis', connection: CONNECTION, queue: 'default', retry_after: 90, block_for: 5 } },
      failed: { driver: 'null', table: 'failed_jobs' },
    },
  } as ConfigOverrides
}

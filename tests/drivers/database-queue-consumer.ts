/**
 * A worker-like consumer in its own process, for the multi-process SQLite test:
 *   node --import framework/loader/register.mjs tests/drivers/database-queue-consumer.ts <sqlite file> <queue> <busy timeout ms>
 * Pops and deletes until the queue stays empty, pushing a few jobs of its own along the way (so
 * several processes write at once), then prints the ids it consumed and pushed as JSON.
 */
import { Application } from '../../framework/foundation/application.ts'
import { createDatabaseQueue } from '../../framework/queue/drivers/database.ts'
import { repoRoot, queueConnectionConfig } from './database-queue-setup.ts'

const [file, queue, busyTimeout] = process.argv.slice(2)
const app = await Application.create({
  basePath: repoRoot,
  loadEnv: false,
  config: { database: { default: 'testdb', connections: { testdb: { driver: 'sqlite', database: file!, busyTimeout: Number(busyTimeout) } } } },
})
const driver = await createDatabaseQueue('database', queueConnectionConfig(60), app)
const consumed: string[] = []
const pushed: string[] = []
try {
  for (let empty = 0, round = 0; empty < 5; round++) {
    if (round % 10 === 0 && round < 100) pushed.push(...(await driver.bulkRaw([`extra-${process.pid}-${round}`, `extra-${process.pid}-${round}b`], queue)))
    const jobs = await driver.pop(queue!, 1 + (round % 5))
    if (jobs.length === 0) {
      empty++
      await new Promise((resolve) => setTimeout(resolve, 20))
      continue
    }
    empty = 0
    consumed.push(...jobs.map((job) => job.id))
    await Promise.all(jobs.map((job) => job.delete()))
  }
} finally {
  await driver.close()
  await app.shutdown()
}
process.stdout.write(JSON.stringify({ consumed, pushed }))

import { randomUUID } from 'node:crypto'
import type { Application } from '../../foundation/application.ts'
import type { SyncConnectionConfig } from '../config.ts'
import type { QueueDriver, ReservedJob } from '../contracts.ts'
import { workerOptions } from '../worker/options.ts'
import { processJob } from '../worker/process-job.ts'

/**
 * The `sync` driver runs each pushed job at once, in the dispatching process, through the worker's own
 * pipeline (processJob), so middleware, events, `failed()` and the failure policy are the same code.
 * Like Laravel's SyncQueue: one attempt, no timeout, an error fails the job (its failed() hook runs) and
 * is rethrown to the dispatcher, and nothing is written to failed_jobs.
 */
export function createSyncQueue(name: string, _config: SyncConnectionConfig, app: Application): QueueDriver {
  const options = workerOptions({ name: 'sync', tries: 1, timeout: 0 })

  const run = async (payload: string, queue = 'default'): Promise<string> => {
    const reserved = inMemoryReservation(name, queue, payload)
    await processJob(app, reserved, options, { sync: true, rethrow: true, logFailed: false })
    return reserved.id
  }

  return {
    connectionName: name,
    pushRaw: (payload, queue) => run(payload, queue),
    async bulkRaw(payloads, queue) {
      const ids: string[] = []
      for (const payload of payloads) ids.push(await run(payload, queue))
      return ids
    },
    pop: async () => [],
    size: async () => 0,
    clear: async () => 0,
    close: async () => undefined,
  }
}

/** A reservation that lives only for this call: deleting or releasing it has nothing to store. */
function inMemoryReservation(connectionName: string, queue: string, rawBody: string): ReservedJob {
  return {
    id: randomUUID(),
    queue,
    connectionName,
    rawBody,
    attempts: 1,
    reservationToken: randomUUID(),
    delete: async () => undefined,
    release: async () => undefined,
  }
}

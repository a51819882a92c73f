import type { Application } from '../../foundation/application.ts'
import type { NullConnectionConfig } from '../config.ts'
import type { QueueDriver } from '../contracts.ts'

/**
 * The `null` driver discards every job (Laravel's NullQueue): useful to switch queueing off. Pushes
 * still get an id, so callers behave as with a real queue.
 */
export function createNullQueue(name: string, _config: NullConnectionConfig, _app: Application): QueueDriver {
  let next = 0
  return {
    connectionName: name,
    pushRaw: async () => String(++next),
    bulkRaw: async (payloads) => payloads.map(() => String(++next)),
    pop: async () => [],
    size: async () => 0,
    clear: async () => 0,
    close: async () => undefined,
  }
}

import type { Application } from '../../foundation/application.ts'
import type { FailedJobStore } from '../contracts.ts'

export type RetryOutcome = 'retried' | 'missing'

export interface FailedJobSelection {
  ids: string[]
  all: boolean
  queue?: string
  /** Inclusive id ranges from --range=1-5. */
  ranges: [number, number][]
}

/**
 * The ids `queue:retry` works on, oldest first so retried jobs keep their order: the ids given, every
 * failed job for `all`, those of `queue`, and those in `ranges`, each once.
 */
export async function selectFailedJobIds(store: FailedJobStore, selection: FailedJobSelection): Promise<string[]> {
  const ids = new Set<string>()
  if (selection.all) for (const record of (await store.all()).reverse()) ids.add(String(record.id))
  if (selection.queue !== undefined) for (const record of (await store.all({ queue: selection.queue })).reverse()) ids.add(String(record.id))
  for (const [from, to] of selection.ranges) for (let id = from; id <= to; id++) ids.add(String(id))
  for (const id of selection.ids) ids.add(id)
  return [...ids]
}

/**
 * Pushes a failed job's stored payload, byte for byte, back onto its original connection and queue.
 * The new row starts with the driver's own attempts counter at 0, so the job gets all its tries again.
 *
 * The record is taken (deleted and returned in one step) before the push, so two concurrent retries
 * push it once; if the push fails, the record is written back so the job is not lost.
 */
export async function retryFailedJob(app: Application, store: FailedJobStore, idOrUuid: string): Promise<RetryOutcome> {
  const found = await store.find(idOrUuid)
  if (!found) return 'missing'
  // Resolve the connection first: an unknown one throws and leaves the record where it is.
  const queue = await app.make('queue').connection(found.connection)
  const taken = await store.take(String(found.id))
  if (!taken) return 'missing'
  try {
    // Before the push: the retried job may run (and fail again) at once.
    const batchId = batchIdOf(taken.payload)
    if (batchId) await app.make('bus.batches').forgetFailureClaims(batchId, taken.uuid)
    await queue.pushRaw(taken.payload, taken.queue)
  } catch (error) {
    await store.log({ uuid: taken.uuid, connection: taken.connection, queue: taken.queue, payload: taken.payload, exception: taken.exception })
    throw error
  }
  return 'retried'
}

/** The batch a stored payload is counted in, if any (unreadable payloads have none: they fail again as they did). */
function batchIdOf(payload: string): string | null {
  try {
    const { batchId } = JSON.parse(payload) as { batchId?: unknown }
    return typeof batchId === 'string' && batchId !== '' ? batchId : null
  } catch {
    return null
  }
}

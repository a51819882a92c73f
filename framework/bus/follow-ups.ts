/**
 * Acknowledging a chained or batched job together with the jobs it leads to (its chain's next link, the
 * batch callbacks its count decided, a chain's catch job). A worker killed at any instant must leave
 * either the job still reserved (it runs again, and the bus work, being idempotent, hands back the same
 * follow-ups) or the job gone and its follow-ups stored: never the job gone and its follow-ups lost.
 *
 * Follow-ups on the job's own connection are stored by the driver in the same atomic step as the delete
 * (ReservedJob.deleteAndPush). Those on other connections, or on a driver without deleteAndPush, are
 * pushed first and the job is acknowledged after: a kill between the two leaves a duplicate, never a
 * loss (at-least-once). JobQueued fires for each once the job is acknowledged.
 */
import type { Application } from '../foundation/application.ts'
import type { ReservedJob } from '../queue/contracts.ts'
import { JobQueued } from '../queue/events.ts'
import { decodePayload } from '../queue/payload-codec.ts'
import type { PreparedPush } from './chain.ts'

export async function acknowledgeWithFollowUps(app: Application, reserved: ReservedJob, followUps: readonly PreparedPush[]): Promise<void> {
  const manager = app.make('queue')
  const atomic = reserved.deleteAndPush ? followUps.filter((push) => push.connection === reserved.connectionName) : []
  const queued: { push: PreparedPush; id: string }[] = []
  for (const push of followUps) {
    if (atomic.includes(push)) continue
    const driver = await manager.connection(push.connection)
    queued.push({ push, id: await driver.pushRaw(push.payload, push.queue, push.delay > 0 ? { delay: push.delay } : {}) })
  }
  if (reserved.deleteAndPush && atomic.length > 0) {
    const ids = await reserved.deleteAndPush(atomic.map(({ queue, payload, delay }) => ({ queue, payload, delay })))
    // An empty answer for a non-empty list: the lease was lost and nothing was stored (the worker now holding the job will).
    ids.forEach((id, index) => queued.push({ push: atomic[index] as PreparedPush, id }))
  } else {
    await reserved.delete()
  }
  const events = app.make('events')
  if (!events.hasListeners(JobQueued)) return
  for (const { push, id } of queued) await events.dispatch(new JobQueued(push.connection, push.queue, id, decodePayload(push.payload), push.job, push.delay))
}

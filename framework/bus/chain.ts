/**
 * Chains: the first job is pushed carrying the rest (`chained` in its payload, see payload-fields.ts);
 * each job that succeeds pushes the next one (atomically with its acknowledgement, see follow-ups.ts), so
 * a chain needs no coordinator and survives any worker. A link that fails for good stops the chain and
 * pushes the chain's catch job instead.
 */
import type { Application } from '../foundation/application.ts'
import type { JobPayload } from '../queue/contracts.ts'
import { Job, jobNameOf } from '../queue/job.ts'
import { encodeJob } from '../queue/payload-codec.ts'
import type { Batch } from './batch.ts'
import { delaySeconds } from './dispatcher.ts'
import { InvalidChainError } from './errors.ts'
import { busStateOf, peekBusState } from './job-bus-state.ts'
import { busFields, withBusFields, type BusFailure, type BusFields, type EncodedLink } from './payload-fields.ts'

export interface ChainOptions {
  connection?: string
  queue?: string
  /** Delays the first job only. */
  delay?: number | Date
  /** Pushed when a link fails for good. */
  catch?: Job
  /** The batch every link is counted in (a chain inside a batch). */
  batchId?: string
}

/** A payload ready to push: where, when, and the job it came from (for JobQueued). */
export interface PreparedPush {
  connection: string
  queue: string
  payload: string
  delay: number
  job: Job | null
}

/** Encodes a job as a chain link or batch callback; unserializable data fails here, at dispatch. */
export async function encodeLink(app: Application, job: Job, batchId: string | null = null, connection?: string): Promise<EncodedLink> {
  if (!(job instanceof Job)) throw new InvalidChainError(`${describe(job)} is not a job instance`)
  await registerIfSync(app, job, connection)
  return { payload: encodeJob(job).payload, connection: job.connection ?? null, queue: job.queue ?? null, delay: job.delay ?? null, ...(batchId ? { batchId } : {}) }
}

/** The first job of `jobs`, encoded with the rest of the chain in its payload. */
export async function prepareChain(app: Application, jobs: readonly Job[], options: ChainOptions = {}): Promise<PreparedPush> {
  if (!Array.isArray(jobs) || jobs.length === 0) throw new InvalidChainError('it holds no jobs')
  const [first, ...rest] = jobs as [Job, ...Job[]]
  const via = options.connection
  const head = await encodeLink(app, first, options.batchId ?? null, via)
  const fields: BusFields = {
    chained: await Promise.all(rest.map((job) => encodeLink(app, job, options.batchId ?? null, via))),
    chainConnection: options.connection ?? null,
    chainQueue: options.queue ?? null,
    chainCatch: options.catch ? await encodeLink(app, options.catch, null, via) : null,
    batchId: options.batchId ?? null,
  }
  const connection = first.connection ?? options.connection ?? app.make('queue').defaultConnection
  const prepared = locate(app, head, connection, options.queue ?? null, withBusFields(app, head.payload, fields), first)
  return { ...prepared, delay: delaySeconds(options.delay ?? first.delay) }
}

/** Pushes a prepared payload through the bus (which announces JobQueued); yields the job id. */
export function push(app: Application, prepared: PreparedPush): Promise<string> {
  return app.make('bus').push(prepared.connection, prepared.queue, prepared.payload, prepared.delay, prepared.job)
}

/**
 * After a job succeeded: the next job of its chain (jobs it prepended first, then the stored rest, then
 * jobs it appended), carrying the remainder, ready to push with the job's acknowledgement; null at the end.
 */
export async function nextLink(app: Application, payload: JobPayload, job: Job | null): Promise<PreparedPush | null> {
  const fields = busFields(payload)
  const state = job ? peekBusState(job) : undefined
  const via = fields.chainConnection ?? undefined
  const prepended = await Promise.all((state?.prepended ?? []).map((link) => encodeLink(app, link, null, via)))
  const appended = await Promise.all((state?.appended ?? []).map((link) => encodeLink(app, link, null, via)))
  if (state) state.prepended = state.appended = [] // a second call (retry of the hook) must not push them twice
  const links = [...prepended, ...(fields.chained ?? []), ...appended]
  const [next, ...rest] = links
  if (!next) return null
  const raw = withBusFields(app, next.payload, {
    chained: rest,
    chainConnection: fields.chainConnection,
    chainQueue: fields.chainQueue,
    chainCatch: fields.chainCatch,
    batchId: next.batchId ?? null,
  })
  const connection = next.connection ?? fields.chainConnection ?? app.make('queue').defaultConnection
  return { ...locate(app, next, connection, fields.chainQueue ?? null, raw, null), delay: next.delay ?? 0 }
}

/** After a link failed for good: the chain's catch job, if any, telling it what failed, ready to push. */
export function catchLink(app: Application, payload: JobPayload, error: Error): PreparedPush | null {
  const fields = busFields(payload)
  const handler = fields.chainCatch
  if (!handler) return null
  const raw = withBusFields(app, handler.payload, { failure: failureOf(payload, error, fields.batchId ?? null) })
  const connection = handler.connection ?? fields.chainConnection ?? app.make('queue').defaultConnection
  return { ...locate(app, handler, connection, fields.chainQueue ?? null, raw, null), delay: handler.delay ?? 0 }
}

/** The failure a catch job receives, as plain data. */
export function failureOf(payload: JobPayload, error: Error, batchId: string | null): BusFailure {
  return { job: payload.displayName || payload.job, uuid: payload.uuid, name: error.name || 'Error', message: error.message, batchId }
}

/** Records, for a job about to run, what its payload says about chains and batches (see job-bus-state.ts). */
export function bindBusState(job: Job, payload: JobPayload, findBatch: (id: string) => Promise<Batch | null>): void {
  const fields = busFields(payload)
  const state = busStateOf(job)
  state.batchId = fields.batchId ?? fields.batchCallbackOf ?? null
  state.failure = fields.failure ?? null
  state.findBatch = findBatch
}

/** Connection and queue for a link: its own, else the chain's (or batch's), else the connection's default. */
function locate(app: Application, link: EncodedLink, connection: string, fallbackQueue: string | null, payload: string, job: Job | null): Omit<PreparedPush, 'delay'> {
  const queue = link.queue ?? fallbackQueue ?? app.make('queue').defaultQueue(connection)
  return { connection, queue, payload, job }
}

/** A sync connection runs the job in this process, by name: make sure the registry knows its class. */
async function registerIfSync(app: Application, job: Job, connection?: string): Promise<void> {
  const manager = app.make('queue')
  if (manager.connectionConfig(job.connection ?? connection ?? manager.defaultConnection).driver === 'sync') (await app.make('jobs').ready()).ensure(job)
}

function describe(value: unknown): string {
  if (value instanceof Job) return jobNameOf(value)
  return value === null ? 'null' : typeof value === 'function' ? `the class ${(value as { name?: string }).name ?? '(anonymous)'} (pass an instance: new X(...))` : typeof value
}

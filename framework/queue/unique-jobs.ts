/**
 * Unique jobs (Laravel's ShouldBeUnique / ShouldBeUniqueUntilProcessing). A job class opts in with a
 * static marker; while one instance is queued or running, dispatching another with the same unique id
 * is dropped:
 *
 *   export class RecalculateInvoice extends QueuedJob implements ShouldBeUnique {
 *     static shouldBeUnique = true
 *     uniqueFor = 3600                       // seconds the lock may live at most (0 = until released)
 *     constructor(public invoiceId: number) { super() }
 *     uniqueId() { return this.invoiceId }   // default: one lock per job name
 *     uniqueVia() { return 'redis' }         // cache store holding the lock (default: the default store)
 *     handle() {}
 *   }
 *
 * `static uniqueUntilProcessing = true` releases the lock just before handle() runs instead of after the
 * job is done, so a new dispatch is accepted while this one runs.
 *
 * Dropped dispatches are reported twice: awaiting the dispatch yields null instead of a job id, and the
 * `events` service fires JobSkippedAsDuplicate. The lock is an owned cache lock (atomic in the store, so
 * it holds across processes and machines); its store, key and owner travel in the payload (signed), so
 * the worker releases exactly that lock once the job is acknowledged or has finally failed, and never a
 * newer holder's lock after `uniqueFor` expired.
 */
import { randomUUID } from 'node:crypto'
import type { Application } from '../foundation/application.ts'
import type { JobPayload } from './contracts.ts'
import { jobNameOf, type Job } from './job.ts'

/** The optional members a unique job may define (implement it for type checking). */
export interface ShouldBeUnique {
  /** Seconds the lock lives at most, even if the job is never processed (0 or unset: until released). */
  uniqueFor?: number
  /** What makes two dispatches "the same job"; the job name alone when absent. */
  uniqueId?(): string | number
  /** The cache store name (config/cache.ts) that holds the lock; the default store when absent. */
  uniqueVia?(): string
}

/** The lock a unique job's payload carries (`uniqueLock`). */
export interface UniqueLockRecord {
  /** Cache store name; null = the default store. */
  store: string | null
  key: string
  owner: string
  untilProcessing: boolean
}

/** A dispatch of a unique job was dropped because an equal job is still queued or running. */
export class JobSkippedAsDuplicate {
  constructor(
    readonly job: Job,
    /** The cache lock key that is held. */
    readonly key: string,
  ) {}
}

const KEY_PREFIX = 'kiln_unique_job:'
const held = new WeakMap<Job, UniqueLockRecord>()

/** Whether `job`'s class sets `static shouldBeUnique = true` or `static uniqueUntilProcessing = true`. */
export function shouldBeUnique(job: Job): boolean {
  const cls = job.constructor as { shouldBeUnique?: unknown; uniqueUntilProcessing?: unknown }
  return cls.shouldBeUnique === true || cls.uniqueUntilProcessing === true
}

/** The cache lock key of `job`: `kiln_unique_job:<job name>[:<uniqueId()>]`. */
export function uniqueLockKey(job: Job): string {
  const unique = job as Job & ShouldBeUnique
  const id = typeof unique.uniqueId === 'function' ? String(unique.uniqueId()) : ''
  return `${KEY_PREFIX}${jobNameOf(job)}${id === '' ? '' : `:${id}`}`
}

/**
 * Takes the unique lock for `job` before it is dispatched. True when it may be dispatched (not unique,
 * or the lock was free); false when an equal job holds it (JobSkippedAsDuplicate is fired).
 */
export async function acquireUniqueLock(app: Application, job: Job): Promise<boolean> {
  if (!shouldBeUnique(job)) return true
  const unique = job as Job & ShouldBeUnique
  const store = typeof unique.uniqueVia === 'function' ? unique.uniqueVia() : null
  const key = uniqueLockKey(job)
  const owner = randomUUID()
  const seconds = Math.max(0, Number(unique.uniqueFor ?? 0))
  const acquired = await app.make('cache').store(store ?? undefined).lock(key, seconds, owner).get()
  if (!acquired) {
    await app.make('events').dispatch(new JobSkippedAsDuplicate(job, key))
    return false
  }
  const untilProcessing = (job.constructor as { uniqueUntilProcessing?: unknown }).uniqueUntilProcessing === true
  held.set(job, { store, key, owner, untilProcessing })
  return true
}

/** The lock acquired for `job` by acquireUniqueLock (the codec writes it into the payload). */
export function uniqueLockOf(job: Job): UniqueLockRecord | undefined {
  return held.get(job)
}

/** Releases the lock `job` holds in this process (its dispatch failed after the lock was taken). */
export async function releaseHeldUniqueLock(app: Application, job: Job): Promise<void> {
  const record = held.get(job)
  held.delete(job)
  if (record) await releaseRecord(app, record)
}

/**
 * Releases the unique lock a payload carries, if any, and only while its owner still holds it. `moment`
 * is when the worker calls: 'processing' (just before handle) acts only for uniqueUntilProcessing jobs,
 * 'finished' (acknowledged or finally failed) only for the others.
 */
export async function releaseUniqueLock(app: Application, payload: JobPayload | null, moment: 'processing' | 'finished'): Promise<void> {
  const record = payload ? lockRecord(payload.uniqueLock) : null
  if (!record || record.untilProcessing !== (moment === 'processing')) return
  try {
    await releaseRecord(app, record)
  } catch (error) {
    // The job's outcome is already stored; an unreachable cache must not undo that. The lock expires after uniqueFor.
    app.make('log').warn({ err: error, key: record.key }, 'Could not release a unique job lock; it is held until uniqueFor expires')
  }
}

async function releaseRecord(app: Application, record: UniqueLockRecord): Promise<void> {
  await app.make('cache').store(record.store ?? undefined).restoreLock(record.key, record.owner).release()
}

/** A well-formed uniqueLock field, or null. Only keys of unique-job locks: a payload cannot free other locks. */
function lockRecord(value: unknown): UniqueLockRecord | null {
  if (typeof value !== 'object' || value === null) return null
  const { store, key, owner, untilProcessing } = value as Record<string, unknown>
  if (typeof key !== 'string' || !key.startsWith(KEY_PREFIX) || typeof owner !== 'string' || owner === '') return null
  if (store !== null && typeof store !== 'string') return null
  return { store, key, owner, untilProcessing: untilProcessing === true }
}

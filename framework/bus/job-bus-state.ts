/**
 * What a running job knows about its chain and batch: jobs it prepended/appended to its chain during
 * handle(), the batch it belongs to, and (for catch jobs) the failure that triggered it. Kept beside the
 * instance, not on it, so none of it becomes job data. This module imports nothing at runtime: job.ts
 * reads it, and the bus modules (which import job.ts) fill it.
 */
import type { Job } from '../queue/job.ts'
import type { Batch } from './batch.ts'
import type { BusFailure } from './payload-fields.ts'

export interface JobBusState {
  /** prependToChain() calls, the latest first (it runs next, as in Laravel). */
  prepended: Job[]
  appended: Job[]
  /** The batch this job is counted in, or reports on (then/catch/finally jobs). */
  batchId: string | null
  failure: BusFailure | null
  findBatch: ((id: string) => Promise<Batch | null>) | null
}

const states = new WeakMap<object, JobBusState>()

/** The job's state, created empty on first use. */
export function busStateOf(job: object): JobBusState {
  let state = states.get(job)
  if (!state) {
    state = { prepended: [], appended: [], batchId: null, failure: null, findBatch: null }
    states.set(job, state)
  }
  return state
}

/** The job's state if anything set it. */
export function peekBusState(job: object): JobBusState | undefined {
  return states.get(job)
}

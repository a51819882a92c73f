import type { QueueDriver, ReservedJob } from '../contracts.ts'
import type { DeferredAcks } from './deferred-acks.ts'
import type { LeaseKeeper } from './lease-keeper.ts'

/**
 * `--prefetch=N`: the worker keeps up to N jobs reserved ahead of its free slots, claimed N at a time in
 * one statement, so a slot that frees up starts its next job without a round trip (graphile-worker's
 * localQueue, BullMQ's prefetching). What it changes, and why it is off by default:
 *
 * - A buffered job is reserved: its attempt is counted at the claim, and its lease is renewed while it
 *   waits. A worker that is killed (SIGKILL, a crash) leaves its buffered jobs reserved until
 *   retry_after, and they come back with that attempt counted although they never ran; with `--tries=1`
 *   they would then fail as "attempted too many times". A graceful stop gives them back at once,
 *   without the attempt (releaseUnstarted).
 * - Priority across `--queue=a,b` is kept within the buffer (a-jobs start before b-jobs), but a job that
 *   arrives on `a` while the buffer still holds b-jobs waits until the buffer runs low and is refilled:
 *   up to N lower-priority jobs may start first.
 * - Other workers cannot take the buffered jobs, so N should stay small next to the queue's backlog
 *   when several workers share it.
 */
/**
 * Background claims at once: two overlap the fixed latency of one statement (which dominates on a busy
 * server) without flooding it.
 */
const PARALLEL_CLAIMS = 2
/** Acknowledgements one refill carries at most (one statement's worth). */
const CARRIED_ACKS = 500

export class PrefetchBuffer {
  private jobs: ReservedJob[] = []
  /** Background claims in flight, and how many jobs they asked for. */
  private readonly refilling = new Set<Promise<void>>()
  private asked = 0
  /** The last claim found fewer jobs than it asked for: no more background claims until the buffer empties. */
  private drained = false
  private readonly lowWater: number

  constructor(
    private readonly driver: QueueDriver,
    private readonly queues: string[],
    private readonly size: number,
    concurrency: number,
    private readonly leases: LeaseKeeper | null,
    /** Acknowledgements a refill carries with its claim (null: none). */
    private readonly acks: DeferredAcks | null,
    private readonly onError: (error: unknown) => Promise<void>,
    /** A background claim ended: the worker may be idle-waiting with free slots, so it must look again. */
    private readonly onRefilled: () => void,
  ) {
    // Refill once half the buffer (at least a slot's worth per slot) has been used: the half still
    // buffered covers the claim's round trip, and a large claim costs the server less per job than
    // several small ones (PostgreSQL here: ~8 us a row claiming 500 at once, ~12 us claiming 130).
    this.lowWater = Math.max(0, size - Math.max(concurrency, Math.floor(size / 2)))
  }

  get length(): number {
    return this.jobs.length
  }

  /**
   * Claims up to `room` more jobs (never beyond the buffer's size), walking the queues in priority
   * order, and waits for them. Errors propagate: the caller reports them and backs off.
   */
  async fill(room: number): Promise<number> {
    await this.settled()
    return this.claim(room)
  }

  /** Starts a claim in the background when the buffer runs low; a failure is reported, not thrown. */
  topUp(room: number): void {
    if (this.drained || this.refilling.size >= PARALLEL_CLAIMS || this.jobs.length + this.asked > this.lowWater) return
    const claim: Promise<void> = this.claim(room - this.asked)
      .then(
        () => undefined,
        (error: unknown) => this.onError(error),
      )
      .finally(() => {
        this.refilling.delete(claim)
        this.onRefilled()
      })
    this.refilling.add(claim)
  }

  /** Up to `n` buffered jobs, highest priority first; jobs whose lease was lost meanwhile are dropped. */
  take(n: number): ReservedJob[] {
    const taken: ReservedJob[] = []
    while (taken.length < n && this.jobs.length > 0) {
      const job = this.jobs.shift() as ReservedJob
      if (job.leaseLost) continue
      taken.push(job)
    }
    return taken
  }

  /** The worker is stopping: waits for a claim in flight, then gives every buffered job back. */
  async returnAll(): Promise<void> {
    await this.settled()
    const unstarted = this.jobs.splice(0)
    for (const job of unstarted) this.leases?.release(job)
    if (unstarted.length > 0) await this.driver.releaseUnstarted?.(unstarted)
  }

  private async settled(): Promise<void> {
    while (this.refilling.size > 0) await Promise.all([...this.refilling])
  }

  private async claim(room: number): Promise<number> {
    const asked = Math.min(room, this.size - this.jobs.length - this.asked)
    if (asked <= 0) return 0
    this.asked += asked
    const claimed: ReservedJob[] = []
    try {
      for (const queue of this.queues) {
        const wanted = asked - claimed.length
        if (wanted <= 0) break
        const jobs = await this.claimFrom(queue, wanted)
        for (const job of jobs) this.leases?.hold(job)
        claimed.push(...jobs)
      }
    } finally {
      // Jobs claimed before a failure are buffered all the same: they are reserved either way.
      this.asked -= asked
      this.jobs.push(...claimed)
    }
    this.drained = claimed.length < asked
    // Two claims may answer out of order: keep priority order, then first in, first out (an already
    // sorted array costs one pass).
    this.jobs.sort((a, b) => this.rank(a) - this.rank(b) || byId(a, b))
    return claimed.length
  }

  /** Claims from `queue`, carrying the acknowledgements waiting for it when the driver can. */
  private async claimFrom(queue: string, wanted: number): Promise<ReservedJob[]> {
    const carried = this.acks?.takeFor(queue, CARRIED_ACKS) ?? []
    if (!this.acks || carried.length === 0 || !this.driver.deleteManyAndPop) return this.driver.pop(queue, wanted)
    try {
      return await this.driver.deleteManyAndPop(carried, queue, wanted)
    } finally {
      this.acks.carried()
    }
  }

  private rank(job: ReservedJob): number {
    return this.queues.length > 1 ? this.queues.indexOf(job.queue) : 0
  }
}

function byId(a: ReservedJob, b: ReservedJob): number {
  return a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

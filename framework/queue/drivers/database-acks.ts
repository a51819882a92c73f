import type { ReservationKey } from './database-queries.ts'

/** What one batch asks of the database: delete `keys`, and when `claim` is set, reserve up to `claim.max` jobs. */
type Write<R> = (keys: ReservationKey[], claim: { queue: string; max: number } | null) => Promise<R[]>

interface Pending<R> {
  /** One job's key, or a prefetching worker's batch of them. */
  keys: ReservationKey[]
  claim: { queue: string; max: number } | null
  resolve(rows: R[]): void
  reject(error: unknown): void
}

/**
 * Coalesces the acknowledgements issued in one tick (and those issued while a write is in flight) into
 * one statement: at concurrency 10 that turns ten round trips into one. An acknowledgement may also ask
 * for the next jobs (deleteAndPop): acknowledgements of one queue then share one delete-and-claim, and
 * the claimed rows are shared out in order, each caller getting at most what it asked for. Each promise
 * still resolves only once its row is gone (and its claims are committed).
 */
export class AckBatcher<R> {
  private pending: Pending<R>[] = []
  private flushing: Promise<void> | null = null
  private scheduled = false

  constructor(
    private readonly write: Write<R>,
    private readonly chunkSize = 500,
  ) {}

  async delete(key: ReservationKey): Promise<void> {
    await this.enqueue([key], null)
  }

  /** Deletes many reservations with one promise for them all (written in chunks of `chunkSize` keys). */
  async deleteMany(keys: ReservationKey[]): Promise<void> {
    const chunks: Promise<R[]>[] = []
    for (let i = 0; i < keys.length; i += this.chunkSize) chunks.push(this.enqueue(keys.slice(i, i + this.chunkSize), null))
    await Promise.all(chunks)
  }

  /** Deletes `keys` (one job's, or at most `chunkSize`: one statement) and claims up to `max` jobs of `queue`. */
  deleteAndClaim(keys: ReservationKey[], queue: string, max: number): Promise<R[]> {
    return this.enqueue(keys, { queue, max })
  }

  /** Resolves when every acknowledgement issued so far has been written. */
  async drain(): Promise<void> {
    while (this.flushing || this.pending.length > 0 || this.scheduled) {
      if (this.flushing) await this.flushing
      else await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  private enqueue(keys: ReservationKey[], claim: Pending<R>['claim']): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.pending.push({ keys, claim, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flushing = this.flush().finally(() => {
        this.flushing = null
        if (this.pending.length > 0) this.schedule()
      })
    })
  }

  private async flush(): Promise<void> {
    const batch = this.pending
    this.pending = []
    for (const unit of units(batch, this.chunkSize)) {
      let max = 0
      let queue: string | undefined
      const keys: ReservationKey[] = []
      for (const p of unit) {
        keys.push(...p.keys)
        if (p.claim) {
          max += p.claim.max
          queue ??= p.claim.queue
        }
      }
      try {
        const rows = await this.write(keys, queue === undefined ? null : { queue, max })
        let next = 0
        for (const p of unit) {
          const take = p.claim?.max ?? 0
          // A plain delete (most of a prefetching worker's batch) gets no rows: no slice per ack.
          p.resolve(take === 0 ? NO_ROWS : rows.slice(next, next + take))
          next += take
        }
      } catch (error) {
        for (const p of unit) p.reject(error)
      }
    }
  }
}

const NO_ROWS: never[] = []

/** Splits a batch into writes: one per claimed queue (plain deletes ride along with the first), at most `chunkSize` keys each. */
function units<R>(batch: Pending<R>[], chunkSize: number): Pending<R>[][] {
  // Plain deletes only (a prefetching worker's acknowledgements): no grouping to do.
  if (!batch.some((p) => p.claim)) return chunked(batch, chunkSize)
  const byQueue = new Map<string | null, Pending<R>[]>()
  for (const p of batch) {
    const queue = p.claim?.queue ?? null
    const group = byQueue.get(queue)
    if (group) group.push(p)
    else byQueue.set(queue, [p])
  }
  const plain = byQueue.get(null) ?? []
  byQueue.delete(null)
  const groups = [...byQueue.values()]
  if (groups[0]) groups[0] = [...groups[0], ...plain]
  else if (plain.length > 0) groups.push(plain)
  return groups.flatMap((group) => chunked(group, chunkSize))
}

/** Consecutive runs of pendings with at most `size` keys each (a pending is never split). */
function chunked<R>(items: Pending<R>[], size: number): Pending<R>[][] {
  const chunks: Pending<R>[][] = []
  let chunk: Pending<R>[] = []
  let keys = 0
  for (const p of items) {
    if (chunk.length > 0 && keys + p.keys.length > size) {
      chunks.push(chunk)
      chunk = []
      keys = 0
    }
    chunk.push(p)
    keys += p.keys.length
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

import type { ReservationKey } from './database-queries.ts'

type DeleteMany = (keys: ReservationKey[]) => Promise<unknown>

interface Pending {
  key: ReservationKey
  resolve(): void
  reject(error: unknown): void
}

/**
 * Coalesces the deletes issued in one tick (and those issued while a flush is in flight) into one
 * `DELETE ... WHERE (id, attempts) ...` statement: at concurrency 10 that turns ten round trips into one.
 * Each `delete()` still resolves only once its row is gone.
 */
export class DeleteBatcher {
  private pending: Pending[] = []
  private flushing: Promise<void> | null = null
  private scheduled = false

  constructor(
    private readonly deleteMany: DeleteMany,
    private readonly chunkSize = 500,
  ) {}

  delete(key: ReservationKey): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ key, resolve, reject })
      this.schedule()
    })
  }

  /** Resolves when every delete issued so far has been written. */
  async drain(): Promise<void> {
    while (this.flushing || this.pending.length > 0 || this.scheduled) {
      if (this.flushing) await this.flushing
      else await new Promise<void>((resolve) => setImmediate(resolve))
    }
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
    for (let i = 0; i < batch.length; i += this.chunkSize) {
      const chunk = batch.slice(i, i + this.chunkSize)
      try {
        await this.deleteMany(chunk.map((p) => p.key))
        for (const p of chunk) p.resolve()
      } catch (error) {
        for (const p of chunk) p.reject(error)
      }
    }
  }
}

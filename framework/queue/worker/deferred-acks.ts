import type { ReservedJob } from '../contracts.ts'

/**
 * Acknowledgements that do not hold a slot (prefetch mode): the job's slot frees as soon as its handler
 * succeeded, and the delete is written with the others finishing around it (the database driver turns
 * the deletes issued in one tick, or while a write is in flight, into one statement). The worker waits
 * for every one of them before it stops. A delete that never lands (the worker is killed, the server is
 * unreachable) leaves the job reserved: it runs again after retry_after, which is at-least-once.
 */
export class DeferredAcks {
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly onError: (error: unknown) => Promise<void>) {}

  acknowledge(job: ReservedJob): Promise<void> {
    const write: Promise<void> = job
      .delete()
      .catch((error: unknown) => this.onError(error))
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
    return DONE
  }

  /** Resolves once every acknowledgement issued so far has been written (or reported). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }
}

const DONE = Promise.resolve()

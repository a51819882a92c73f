import type { Redis } from 'ioredis'

/**
 * Waits on the server for a wake-up entry (BLPOP on the queues' notify lists), on a connection of its
 * own: a blocking command stalls every other command queued behind it on the same socket. An idle
 * worker thus sends one blocking call per wait and nothing else.
 *
 * Concurrent waits for the same queues share one BLPOP (a worker running N jobs has N slots that may
 * all go idle at once); any wake-up lets all of them pop, and the pop script sorts out who gets what.
 */
export class BlockingWaiter {
  private client: Redis | undefined
  private inflight: { signature: string; woke: Promise<WaitEnd> } | undefined

  constructor(private readonly open: () => Redis) {}

  /** Resolves on a wake-up, after `timeoutMs`, or when `signal` aborts; never rejects. */
  wait(notifyKeys: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || timeoutMs <= 0) return Promise.resolve()
    const signature = notifyKeys.join('\n')
    if (!this.inflight) this.inflight = this.start(notifyKeys, signature, timeoutMs)
    const shared = this.inflight.signature === signature ? this.inflight.woke : undefined
    return raceWake(shared, timeoutMs, signal)
  }

  /** Drops the blocking connection; QUIT would queue behind a pending BLPOP. */
  close(): void {
    this.client?.disconnect()
    this.client = undefined
    this.inflight = undefined
  }

  private start(notifyKeys: string[], signature: string, timeoutMs: number): { signature: string; woke: Promise<WaitEnd> } {
    const client = (this.client ??= this.open())
    const seconds = Math.max(0.01, timeoutMs / 1000).toFixed(3)
    const woke = client.blpop(...notifyKeys, seconds).then(
      (reply): WaitEnd => (reply === null ? 'timeout' : 'woke'),
      (): WaitEnd => 'failed',
    )
    const entry = { signature, woke }
    // A BLPOP that outlives its own timeout by far sits on a dead socket (or waits out an outage):
    // drop that connection so the next wait starts on a fresh one instead of queueing behind it.
    const stuck = setTimeout(() => {
      if (this.client === client) this.client = undefined
      if (this.inflight === entry) this.inflight = undefined
      client.disconnect()
    }, timeoutMs + STUCK_AFTER_MS)
    stuck.unref()
    void woke.finally(() => {
      clearTimeout(stuck)
      if (this.inflight === entry) this.inflight = undefined
    })
    return entry
  }
}

type WaitEnd = 'woke' | 'timeout' | 'failed'

/** How long past its timeout a BLPOP may stay unanswered before its connection is replaced. */
const STUCK_AFTER_MS = 5000

function raceWake(woke: Promise<WaitEnd> | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    // BLPOP returns by itself at its timeout; then the timer only guards against a connection that died
    // silently. Without a BLPOP of its own (the connection is busy with other queues) the timer is the wait.
    const timer = setTimeout(done, woke ? timeoutMs + 1000 : timeoutMs)
    signal.addEventListener('abort', done, { once: true })
    // A failed BLPOP (Redis down) is no wake-up: the timer runs out instead of the caller spinning.
    void woke?.then((end) => {
      if (end !== 'failed') done()
    })
  })
}

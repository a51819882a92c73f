import { Worker as Thread } from 'node:worker_threads'
import { loaderThread } from '../../loader/loader-thread.ts'

/**
 * The last line of defence against a handler that never gives the event loop back (`while (true) {}`).
 *
 * Node cannot preempt a running function, and a blocked event loop runs no timers, so the worker's own
 * timeout cannot fire. A watchdog *thread* has its own event loop: the worker arms a deadline per
 * attempt (timeout + grace + a margin to persist the outcome) and disarms it when the attempt is over.
 * If a deadline passes while still armed, the thread sends SIGKILL to the whole process. Nothing can be
 * persisted at that point (the main thread is stuck), and nothing needs to be: attempts grow when a job
 * is claimed, so the killed attempt already counts, and the reservation expires after retry_after and
 * the next worker fails or retries the job per its tries ("attempted too many times").
 *
 * We chose a thread over a child "heartbeat" process because it needs no extra process, no IPC channel
 * to keep alive and dies with the worker. The thread runs plain JavaScript (eval), so it needs no loader.
 * Deadlines live in shared memory (Atomics): arming and disarming cost no message per job, and the thread
 * sees them even while the main loop is blocked. Under Kiln's TypeScript loader (bin/craft) the checks run
 * on the loader's own thread instead, which idles once the app is loaded: a thread costs ~9 MB of RSS.
 */
export class Watchdog {
  private thread: Thread | undefined
  /** The checks run on the loader's thread (see loaderThread()). */
  private hosted = false
  /** Deadlines (ms since the epoch, 0 = free) shared with the thread: arming costs no message. The extra last slot, set to 1, stops the checks. */
  private readonly deadlines = new BigInt64Array(new SharedArrayBuffer((SLOTS + 1) * BigInt64Array.BYTES_PER_ELEMENT))
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i)

  /** Guards a deadline; returns a handle for disarm(), or -1 when every slot is taken (far beyond any concurrency). */
  arm(deadlineMs: number): number {
    this.start()
    const slot = this.free.pop()
    if (slot === undefined) return -1
    Atomics.store(this.deadlines, slot, BigInt(Math.ceil(deadlineMs)))
    return slot
  }

  disarm(slot: number): void {
    if (slot < 0 || Atomics.load(this.deadlines, slot) === 0n) return
    Atomics.store(this.deadlines, slot, 0n)
    this.free.push(slot)
  }

  async stop(): Promise<void> {
    if (this.hosted) Atomics.store(this.deadlines, SLOTS, 1n)
    this.hosted = false
    const thread = this.thread
    this.thread = undefined
    if (thread) await thread.terminate()
  }

  /** Starts the thread lazily: a worker without timeouts never pays for it. */
  private start(): void {
    if (this.thread || this.hosted) return
    Atomics.store(this.deadlines, SLOTS, 0n)
    const host = loaderThread()
    if (host) {
      host.run(WATCHDOG_LOOP, this.deadlines)
      this.hosted = true
      return
    }
    this.thread = new Thread(`const { workerData } = require('node:worker_threads')\n${WATCHDOG_LOOP}`, { eval: true, workerData: this.deadlines })
    // Never keep a finished worker alive, and never let a failing watchdog crash the worker.
    this.thread.unref()
    this.thread.on('error', () => undefined)
  }
}

const SLOTS = 1024

/** Runs with `require` and `workerData` (the deadlines) in scope, on a thread of its own or the loader's. */
const WATCHDOG_LOOP = `
const deadlines = workerData
const stop = deadlines.length - 1
const timer = setInterval(() => {
  if (Atomics.load(deadlines, stop) !== 0n) return clearInterval(timer)
  const now = BigInt(Date.now())
  for (let slot = 0; slot < stop; slot++) {
    const deadline = Atomics.load(deadlines, slot)
    if (deadline !== 0n && now >= deadline) {
      // writeSync: the main thread (which owns process.stderr) is blocked.
      require('node:fs').writeSync(2, '\\n  Kiln worker watchdog: a job blocked the event loop past its timeout; killing the worker (SIGKILL).\\n')
      process.kill(process.pid, 'SIGKILL')
    }
  }
}, 200)
`

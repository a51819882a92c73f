import type { Redis } from 'ioredis'
import type { QueueKeys, QueueScripts } from './redis-scripts.ts'

/** Where the outcome of a withdrawal is reported (the app's logger in production). */
export type WithdrawalReport = (details: Record<string, unknown>, message: string) => void

/** Newest ids a withdrawal looks through beyond the jobs it looks for: the pushes made since the outage. */
const WINDOW = 10_000

/**
 * Pushes whose outcome is unknown: the script was written to Redis, then the connection closed (or the
 * reply deadline passed) before the reply came. Redis may have stored the job anyway: on a SIGTERM it
 * runs the commands already read in that event-loop turn, writes them to its AOF and exits before sending
 * their replies. The caller was told the push failed (an HTTP route answered 503), so the job must not
 * run: it is withdrawn as soon as Redis answers again. The withdrawal is sent at once (on a live but
 * frozen connection it runs after the push, if the push ever runs) and again on every reconnect until
 * one gets its reply. It is idempotent, so a withdrawal whose own reply was lost is simply sent again.
 * A job a worker claimed before the withdrawal reached Redis runs: that is reported, never hidden.
 */
export class InDoubtPushes {
  /** Payloads per queue (by waiting-list key), in push order. */
  private readonly pending = new Map<string, { keys: QueueKeys; bodies: string[] }>()
  private settling: Promise<void> | null = null
  private armed = false

  constructor(
    private readonly client: Redis,
    private readonly scripts: QueueScripts,
    private readonly report: WithdrawalReport,
  ) {}

  add(keys: QueueKeys, bodies: readonly string[]): void {
    const entry = this.pending.get(keys.waiting)
    if (entry) entry.bodies.push(...bodies)
    else this.pending.set(keys.waiting, { keys, bodies: [...bodies] })
    void this.settle()
  }

  /** Withdraws every pending push; what fails stays pending for the next reconnect. */
  settle(): Promise<void> {
    this.settling ??= this.withdrawAll().finally(() => {
      this.settling = null
      if (this.pending.size > 0) this.retryOnReconnect()
    })
    return this.settling
  }

  /** A listener only while something is pending: drivers sharing a client add none otherwise. */
  private retryOnReconnect(): void {
    if (this.armed) return
    this.armed = true
    this.client.once('ready', () => {
      this.armed = false
      void this.settle()
    })
  }

  private async withdrawAll(): Promise<void> {
    for (const [waiting, entry] of this.pending) {
      const bodies = entry.bodies.slice()
      let outcome: { withdrawn: number; claimed: number }
      try {
        outcome = await this.scripts.withdraw(entry.keys, bodies, WINDOW + bodies.length)
      } catch {
        return
      }
      // Pushes that failed while this withdrawal ran stay for the next one.
      entry.bodies.splice(0, bodies.length)
      if (entry.bodies.length === 0) this.pending.delete(waiting)
      this.reportOutcome(waiting, bodies.length, outcome)
    }
  }

  private reportOutcome(queueKey: string, count: number, { withdrawn, claimed }: { withdrawn: number; claimed: number }): void {
    const details = { queueKey, inDoubt: count, withdrawn, claimed }
    if (withdrawn > 0) {
      this.report(details, `Redis went away before confirming ${count} push(es) answered as failed; withdrew ${withdrawn} job(s) it had stored anyway, so they will not run`)
    }
    if (claimed > 0) {
      this.report(details, `${claimed} job(s) whose push was answered as failed had been stored and were claimed by a worker before they could be withdrawn; they will run`)
    }
  }
}

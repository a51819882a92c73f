/** Where the outcome of a withdrawal is reported (the app's logger in production). */
export type WithdrawalReport = (details: Record<string, unknown>, message: string) => void

/** Removes the jobs of `bodies` from `queue` if still waiting or delayed; counts those already claimed. */
export type Withdraw<Q> = (queue: Q, bodies: readonly string[]) => Promise<{ withdrawn: number; claimed: number }>

/** Calls `retry` once the server may answer again (Redis: on reconnect; SQL: after a short pause). */
export type ScheduleRetry = (retry: () => void) => void

/**
 * Pushes whose outcome is unknown: the statement was sent, then the connection closed (or the reply
 * deadline passed) before the reply came. The server may have stored the job anyway: Redis, on a
 * SIGTERM, runs the commands already read in that event-loop turn, writes them to its AOF and exits
 * before sending their replies; a SQL server can commit an INSERT and shut down before its OK reaches the
 * client. The caller was told the push failed (an HTTP route answered 503), so the job must not run: it is
 * withdrawn as soon as the server answers again. The withdrawal is sent at once (on a live but frozen
 * connection it runs after the push, if the push ever runs) and again until one gets its reply; it is
 * idempotent. Workers hold off a freshly restarted server for a moment so it comes first. A job a worker
 * claimed before the withdrawal reached the server runs: that is reported, never hidden.
 */
export class InDoubtPushes<Q> {
  /** Payloads per queue (a name, or the driver's key set for it), in push order. */
  private readonly pending = new Map<Q, string[]>()
  private settling: Promise<void> | null = null
  private armed = false

  constructor(
    private readonly withdraw: Withdraw<Q>,
    private readonly scheduleRetry: ScheduleRetry,
    private readonly report: WithdrawalReport,
  ) {}

  add(queue: Q, bodies: readonly string[]): void {
    const queued = this.pending.get(queue)
    if (queued) queued.push(...bodies)
    else this.pending.set(queue, [...bodies])
    void this.settle()
  }

  /** Withdraws every pending push; what fails stays pending for the next retry. */
  private settle(): Promise<void> {
    this.settling ??= this.withdrawAll().finally(() => {
      this.settling = null
      if (this.pending.size > 0) this.retryLater()
    })
    return this.settling
  }

  private retryLater(): void {
    if (this.armed) return
    this.armed = true
    this.scheduleRetry(() => {
      this.armed = false
      void this.settle()
    })
  }

  private async withdrawAll(): Promise<void> {
    for (const [queue, queued] of this.pending) {
      const bodies = queued.slice()
      let outcome: { withdrawn: number; claimed: number }
      try {
        outcome = await this.withdraw(queue, bodies)
      } catch {
        return
      }
      // Pushes that failed while this withdrawal ran stay for the next one.
      queued.splice(0, bodies.length)
      if (queued.length === 0) this.pending.delete(queue)
      this.reportOutcome(bodies.length, outcome)
    }
  }

  private reportOutcome(count: number, { withdrawn, claimed }: { withdrawn: number; claimed: number }): void {
    const details = { inDoubt: count, withdrawn, claimed }
    if (withdrawn > 0) {
      this.report(details, `The queue server went away before confirming ${count} push(es) answered as failed; withdrew ${withdrawn} job(s) it had stored anyway, so they will not run`)
    }
    if (claimed > 0) {
      this.report(details, `${claimed} job(s) whose push was answered as failed had been stored and were claimed by a worker before they could be withdrawn; they will run`)
    }
  }
}

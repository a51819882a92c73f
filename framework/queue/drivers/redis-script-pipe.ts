import type { Redis } from 'ioredis'
import { RespConnectionError, RespPipe, RespTimeoutError, type RespReply } from '../../redis/resp-pipe.ts'
import { deleteAndPopResult, deleteManyAndPopResult, popResult, pushedIds, QueueScripts, type Acknowledgement, type PopReply, type PopResult, type QueueKeys } from './redis-scripts.ts'

/** After a pipe failed to open or was lost, how long calls stay on the general client before another try. */
const REOPEN_AFTER_MS = 1000

/**
 * The fast lane of the scripts that run once per job (push; claim; acknowledge and claim the next): a second
 * connection (RespPipe) used only while the general client is ready and the pipe is open. Anything else
 * goes the general way, through ioredis, with its offline queue, reconnection and retries: a call made
 * while Redis restarts, while the pipe connects, or on a TLS or Sentinel connection (the pipe speaks plain
 * TCP or a Unix socket only). A call the pipe could not complete goes through ioredis too: one refused
 * with an error reply (NOSCRIPT after Redis lost its scripts, LOADING, a wrong key type), which ioredis
 * reloads scripts for or reports in its usual shape, and one whose connection closed first (an idle
 * connection the server's `timeout` closed, a restart), which ioredis sends again once connected, as it
 * does with its own unanswered commands. Only a call whose reply deadline passed fails at once, as through
 * ioredis: a push is then in doubt (withdrawn once Redis answers); an ack-and-claim the server runs late
 * leaves its claimed job to come back after retry_after.
 */
export class RedisScriptPipe {
  private pipe: RespPipe | null = null
  private reopenAt = 0
  private readonly usable: boolean

  constructor(
    private readonly client: Redis,
    private readonly scripts: QueueScripts,
    /** Newest ids a withdrawal looks through beyond the jobs it looks for (the driver's WITHDRAW_WINDOW). */
    private readonly withdrawWindow: number,
  ) {
    const options = client.options
    this.usable = !options.tls && !options.sentinels?.length
  }

  /** Whether the pipe is open with nothing unanswered: a push sent now is not held behind another. */
  get idle(): boolean {
    return this.pipe?.idle === true
  }

  /** The push's ids, sent over the pipe; undefined when the pipe cannot take it now (use the general client). */
  push(keys: QueueKeys, bodies: string[], delayMs: number): Promise<string[]> | undefined {
    return this.call(
      (prefix) => QueueScripts.pushCommand(keys, bodies, delayMs, prefix),
      (reply) => (typeof reply === 'number' ? pushedIds(reply, bodies.length) : undefined),
      () => this.scripts.push(keys, bodies, delayMs),
      // A frozen server may run the push later: the withdrawal must run after it, so on this connection.
      // The driver also withdraws through ioredis (its in-doubt pushes), which reports what it finds.
      (timeout, prefix) => timeout.followUp(QueueScripts.withdrawCommand(keys, bodies, this.withdrawWindow + bodies.length, prefix)),
    )
  }

  /** QueueScripts.pop, over the pipe when it is open, else through ioredis. */
  pop(keys: QueueKeys, max: number, retryAfterMs: number): Promise<PopResult> {
    return this.claim(
      (prefix) => QueueScripts.popCommand(keys, max, retryAfterMs, prefix),
      popResult,
      () => this.scripts.pop(keys, max, retryAfterMs),
    )
  }

  /** QueueScripts.deleteAndPop, over the pipe when it is open, else through ioredis. */
  deleteAndPop(keys: QueueKeys, id: string, token: string, max: number, retryAfterMs: number): Promise<PopResult & { deleted: boolean }> {
    return this.claim(
      (prefix) => QueueScripts.deleteAndPopCommand(keys, id, token, max, retryAfterMs, prefix),
      deleteAndPopResult,
      () => this.scripts.deleteAndPop(keys, id, token, max, retryAfterMs),
    )
  }

  /** QueueScripts.deleteManyAndPop, over the pipe when it is open, else through ioredis. */
  deleteManyAndPop(keys: QueueKeys, acks: readonly Acknowledgement[], max: number, retryAfterMs: number): Promise<PopResult & { deleted: boolean[] }> {
    return this.claim(
      (prefix) => QueueScripts.deleteManyAndPopCommand(keys, acks, max, retryAfterMs, prefix),
      (reply) => deleteManyAndPopResult(reply, acks.length),
      () => this.scripts.deleteManyAndPop(keys, acks, max, retryAfterMs),
    )
  }

  /** A claiming script (its reply an array): over the pipe when it is open, else through ioredis (`general`). */
  private claim<T>(command: (keyPrefix: string) => string[], parse: (reply: PopReply) => T, general: () => Promise<T>): Promise<T> {
    return this.call(command, (reply) => (Array.isArray(reply) ? parse(reply) : undefined), general) ?? general()
  }

  /**
   * Sends `command` over the pipe and reads its reply with `parse`. A reply `parse` does not take (an
   * error reply) or a connection lost first sends the command again through ioredis (`general`); a
   * passed reply deadline rejects, after `onTimeout` could write a follow-up on the same connection.
   */
  private call<T>(
    command: (keyPrefix: string) => string[],
    parse: (reply: RespReply) => T | undefined,
    general: () => Promise<T>,
    onTimeout?: (timeout: RespTimeoutError, keyPrefix: string) => void,
  ): Promise<T> | undefined {
    const pipe = this.openPipe()
    if (!pipe) return undefined
    const prefix = this.client.options.keyPrefix ?? ''
    return new Promise((resolve, reject) => {
      pipe.send(command(prefix), (reply) => {
        if (reply instanceof RespTimeoutError) {
          onTimeout?.(reply, prefix)
          reject(reply)
          return
        }
        const result = reply instanceof RespConnectionError ? undefined : parse(reply)
        if (result !== undefined) resolve(result)
        else general().then(resolve, reject)
      })
    })
  }

  /** Runs `write` with the pipe corked, so the pushes it sends leave in one syscall. */
  corked(write: () => void): void {
    const pipe = this.pipe
    pipe?.cork()
    try {
      write()
    } finally {
      pipe?.uncork()
    }
  }

  close(): void {
    this.pipe?.close()
    this.pipe = null
    this.reopenAt = Number.POSITIVE_INFINITY
  }

  /** The open pipe, or null; opens one when the general client is ready and none is open or opening. */
  private openPipe(): RespPipe | null {
    const pipe = this.pipe
    if (pipe?.ready) return pipe
    if (pipe && !pipe.closed) return null
    if (!this.usable || this.client.status !== 'ready' || Date.now() < this.reopenAt) return null
    const options = this.client.options
    const opening = new RespPipe({
      host: options.host,
      port: options.port,
      path: options.path,
      username: options.username,
      password: options.password,
      db: options.db,
      name: 'kiln-pipe',
      connectTimeout: options.connectTimeout ?? 10_000,
      commandTimeout: options.commandTimeout ?? 0,
    })
    this.pipe = opening
    void opening.opened.then((open) => {
      if (!open) this.reopenAt = Date.now() + REOPEN_AFTER_MS
    })
    return null
  }
}

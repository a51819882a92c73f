import type { Redis } from 'ioredis'
import { RespConnectionError, RespPipe, RespTimeoutError } from '../../redis/resp-pipe.ts'
import { pushedIds, QueueScripts, type QueueKeys } from './redis-scripts.ts'

/** After a pipe failed to open or was lost, how long pushes stay on the general client before another try. */
const REOPEN_AFTER_MS = 1000

/**
 * The push script's fast lane: a second connection (RespPipe) used only while the general client is
 * ready and the pipe is open. Anything else goes the general way, through ioredis, with its offline
 * queue, reconnection and retries: a push made while Redis restarts, while the pipe connects, or on a TLS
 * or Sentinel connection (the pipe speaks plain TCP or a Unix socket only). A reply that is an error
 * (NOSCRIPT after Redis lost its scripts, LOADING, a wrong key type) means nothing was stored by that
 * call: the push is sent again through ioredis, which reloads scripts and reports errors in its usual
 * shape. A lost connection fails the pushes waiting on it with RespConnectionError, which the driver
 * treats like ioredis's own connection errors (in doubt: withdrawn once Redis answers again).
 */
export class RedisPushPipe {
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

  /** The push's ids, sent over the pipe; undefined when the pipe cannot take it now (use the general client). */
  push(keys: QueueKeys, bodies: string[], delayMs: number): Promise<string[]> | undefined {
    const pipe = this.openPipe()
    if (!pipe) return undefined
    const prefix = this.client.options.keyPrefix ?? ''
    return new Promise((resolve, reject) => {
      pipe.send(QueueScripts.pushCommand(keys, bodies, delayMs, prefix), (reply) => {
        if (typeof reply === 'number') resolve(pushedIds(reply, bodies.length))
        else if (reply instanceof RespConnectionError) {
          // A frozen server may run the push later: the withdrawal must run after it, so on this connection.
          // The driver also withdraws through ioredis (its in-doubt pushes), which reports what it finds.
          if (reply instanceof RespTimeoutError) reply.followUp(QueueScripts.withdrawCommand(keys, bodies, this.withdrawWindow + bodies.length, prefix))
          reject(reply)
        } else this.scripts.push(keys, bodies, delayMs).then(resolve, reject)
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
      name: 'kiln-push',
      connectTimeout: options.connectTimeout ?? 10_000,
      commandTimeout: options.commandTimeout ?? 10_000,
    })
    this.pipe = opening
    void opening.opened.then((open) => {
      if (!open) this.reopenAt = Date.now() + REOPEN_AFTER_MS
    })
    return null
  }
}

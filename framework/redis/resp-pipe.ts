import net from 'node:net'
import { RespParser, RespProtocolError, type RespReply } from './resp-parser.ts'

export { RespErrorReply, type RespReply } from './resp-parser.ts'

/** Where a RespPipe connects and how it identifies itself (read off an ioredis client's options). */
export interface RespPipeOptions {
  host?: string
  port?: number
  /** A Unix socket path, instead of host and port. */
  path?: string
  username?: string
  password?: string
  db?: number
  /** Shown by CLIENT LIST, so the connection can be told apart from ioredis's. */
  name: string
  /** Milliseconds to connect and finish the handshake. */
  connectTimeout: number
  /** Milliseconds a written command may wait for its reply before the pipe gives up on the connection; 0: forever (as ioredis). */
  commandTimeout: number
}

/**
 * The connection went away (closed, protocol error, reply deadline passed) with the command written and
 * its reply missing: the command may have run. Not named ReplyError, so the queue treats it as in doubt.
 */
export class RespConnectionError extends Error {
  override name = 'RespConnectionError'
}

/**
 * The reply deadline passed: the server holds the command unanswered (frozen, or stuck in a long script)
 * and may still run it. The connection is ended rather than dropped, after anything given to followUp,
 * which therefore runs after the command if that ever runs (another connection gives no such order).
 */
export class RespTimeoutError extends RespConnectionError {
  override name = 'RespTimeoutError'

  constructor(
    message: string,
    private readonly write: (args: readonly string[]) => boolean,
  ) {
    super(message)
  }

  /** Writes `args` on the same connection, after the command that timed out; its reply is never read. Only during the callback. */
  followUp(args: readonly string[]): void {
    if (!this.write(args)) throw new Error('followUp() must be called while the timeout is being reported')
  }
}

type Waiter = (reply: RespReply | RespConnectionError) => void

/**
 * A minimal pipelined RESP2 connection for the queue's per-job scripts (push; claim; acknowledge and
 * claim the next). It exists for speed: a dispatch, or a job at concurrency 1, awaited on its own spends
 * most of its time on one round trip, and ioredis's general command path (a Command object, its promise,
 * a reply timer per command, key-prefix and flag lookups) costs about as much CPU again as the rest.
 * Here a command is one string written to the socket and one callback in a FIFO; one interval timer
 * per connection enforces the reply deadline.
 *
 * No reconnection, offline queue or retries: a pipe is `ready` or it is not, and a caller uses the
 * general client whenever it is not (see RedisScriptPipe). A lost connection fails every command still
 * waiting with RespConnectionError; the pipe is then closed for good.
 */
export class RespPipe {
  private readonly socket: net.Socket
  private readonly waiters: { done: Waiter; tick: number }[] = []
  private readonly parser = new RespParser()
  private ticks = 0
  private readonly watchdog: NodeJS.Timeout | undefined
  private state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting'
  /** Resolves true once the handshake succeeded, false if the connection failed first. */
  readonly opened: Promise<boolean>

  constructor(options: RespPipeOptions) {
    // Replies are read into one buffer the pipe reuses and go straight to the parser: no allocation per
    // read, no readable stream or 'data' event on every round trip (the parser copies what it keeps).
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)
    const onread = {
      buffer,
      callback: (bytes: number) => {
        this.read(buffer.subarray(0, bytes))
        return true // keep reading (false pauses the socket)
      },
    }
    this.socket = options.path ? net.connect({ path: options.path, onread }) : net.connect({ port: options.port ?? 6379, host: options.host ?? '127.0.0.1', onread })
    this.socket.setNoDelay(true)
    // As ioredis's connection does: a silently dead peer is noticed on an idle connection too.
    this.socket.setKeepAlive(true, 30_000)
    // Idle, the pipe keeps no process alive; with a reply outstanding it does (see send).
    this.socket.unref()
    this.socket.on('error', (error) => this.fail(`connection error: ${error.message}`))
    this.socket.on('close', () => this.fail('connection closed'))
    // A reply is overdue once it has waited more than four ticks of a quarter of the deadline.
    if (options.commandTimeout > 0) this.watchdog = setInterval(() => this.checkDeadline(), Math.max(10, Math.ceil(options.commandTimeout / 4))).unref()
    this.opened = this.handshake(options)
  }

  /** Handshake done and connection up: commands sent now get their replies in order. */
  get ready(): boolean {
    return this.state === 'open'
  }

  /** Open with every written command answered. */
  get idle(): boolean {
    return this.state === 'open' && this.waiters.length === 0
  }

  /** Lost, refused or closed: this pipe will not carry another command. */
  get closed(): boolean {
    return this.state === 'closed'
  }

  /** Writes one command; `done` gets its reply, or a RespConnectionError if the connection goes first. */
  send(args: readonly string[], done: Waiter): void {
    if (this.state === 'closed') {
      done(new RespConnectionError('Redis script pipe is closed'))
      return
    }
    // Encoded first: an argument that cannot be encoded throws here, before a waiter could take another command's reply.
    const command = encodeCommand(args)
    if (this.waiters.length === 0) this.socket.ref()
    this.waiters.push({ done, tick: this.ticks })
    this.socket.write(command)
  }

  /** Holds writes until uncork() (net.Socket's cork: several commands, one syscall). */
  cork(): void {
    this.socket.cork()
  }

  uncork(): void {
    this.socket.uncork()
  }

  /** Closes once every written command has its reply (or the deadline fails them). */
  close(): void {
    if (this.state === 'closed') return
    if (this.waiters.length === 0) this.fail('closed by the application')
    else this.state = 'closing'
  }

  private async handshake(options: RespPipeOptions): Promise<boolean> {
    const steps: string[][] = []
    if (options.password) steps.push(options.username ? ['AUTH', options.username, options.password] : ['AUTH', options.password])
    if (options.db) steps.push(['SELECT', String(options.db)])
    steps.push(['CLIENT', 'SETNAME', options.name])
    const timer = setTimeout(() => this.fail('no handshake within the connect timeout'), options.connectTimeout).unref()
    try {
      const replies = await Promise.all(steps.map((step) => new Promise<RespReply | RespConnectionError>((resolve) => this.send(step, resolve))))
      if (!replies.every((reply) => reply === 'OK')) this.fail('handshake refused')
      if (this.state === 'connecting') this.state = 'open'
      return this.state === 'open'
    } finally {
      clearTimeout(timer)
    }
  }

  private read(chunk: Buffer): void {
    if (this.state === 'closed') return
    try {
      this.parser.feed(chunk, (reply) => {
        const waiter = this.waiters.shift()
        if (!waiter) this.fail('a reply nobody waited for')
        else waiter.done(reply)
        return !this.closed
      })
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error
      this.fail(error.message)
      return
    }
    if (this.waiters.length > 0 || this.closed) return
    this.socket.unref()
    if (this.state === 'closing') this.fail('closed by the application')
  }

  private checkDeadline(): void {
    this.ticks++
    const oldest = this.waiters[0]
    if (oldest && this.ticks - oldest.tick > 4) this.fail('no reply within the command timeout', true)
  }

  private fail(reason: string, overdue = false): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearInterval(this.watchdog)
    const message = `Redis script pipe lost before the reply (${reason})`
    let reporting = true
    const error = overdue
      ? new RespTimeoutError(message, (args) => {
          if (reporting) this.socket.write(encodeCommand(args))
          return reporting
        })
      : new RespConnectionError(message)
    for (const waiter of this.waiters.splice(0)) waiter.done(error)
    reporting = false
    // Ended after what is written, so the server runs the overdue commands' follow-ups after them.
    if (overdue) this.socket.end()
    else this.socket.destroy()
    this.socket.unref()
  }
}

/** The pipe's read buffer: a read takes at most this much, the rest of a long reply comes in the next reads. */
const READ_BUFFER_BYTES = 64 * 1024

/** One command as a RESP array of bulk strings. */
function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return out
}

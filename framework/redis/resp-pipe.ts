import net from 'node:net'

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

/** A reply that is not an integer: `+status` (a string) or `-error` (a RespErrorReply). */
export type RespReply = number | string | RespErrorReply

/** An error reply: Redis answered that the command failed (a script may have run part of its steps first). */
export class RespErrorReply {
  constructor(readonly message: string) {}
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
 * A minimal pipelined RESP2 connection for commands that answer with a status, an integer or an error
 * (the queue's push script). It exists for speed: a dispatch awaited on its own spends most of its time
 * on one round trip, and ioredis's general command path (a Command object, its promise, a reply timer
 * per command, key-prefix and flag lookups) costs about as much CPU again as the rest of the dispatch.
 * Here a command is one string written to the socket and one callback in a FIFO; one interval timer
 * per connection enforces the reply deadline.
 *
 * No reconnection, offline queue or retries: a pipe is `ready` or it is not, and a caller uses the
 * general client whenever it is not (see RedisPushPipe). A lost connection fails every command still
 * waiting with RespConnectionError; the pipe is then closed for good.
 */
export class RespPipe {
  private readonly socket: net.Socket
  private readonly waiters: { done: Waiter; tick: number }[] = []
  private buffer = ''
  private ticks = 0
  private readonly watchdog: NodeJS.Timeout | undefined
  private state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting'
  /** Resolves true once the handshake succeeded, false if the connection failed first. */
  readonly opened: Promise<boolean>

  constructor(options: RespPipeOptions) {
    this.socket = options.path ? net.connect(options.path) : net.connect(options.port ?? 6379, options.host ?? '127.0.0.1')
    this.socket.setNoDelay(true)
    // As ioredis's connection does: a silently dead peer is noticed on an idle connection too.
    this.socket.setKeepAlive(true, 30_000)
    this.socket.setEncoding('utf8')
    // Idle, the pipe keeps no process alive; with a reply outstanding it does (see send).
    this.socket.unref()
    this.socket.on('data', (chunk: string) => this.read(chunk))
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

  /** Lost, refused or closed: this pipe will not carry another command. */
  get closed(): boolean {
    return this.state === 'closed'
  }

  /** Writes one command; `done` gets its reply, or a RespConnectionError if the connection goes first. */
  send(args: readonly string[], done: Waiter): void {
    if (this.state === 'closed') {
      done(new RespConnectionError('Redis push connection is closed'))
      return
    }
    if (this.waiters.length === 0) this.socket.ref()
    this.waiters.push({ done, tick: this.ticks })
    this.socket.write(encodeCommand(args))
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

  private read(chunk: string): void {
    if (this.state === 'closed') return
    const text = this.buffer === '' ? chunk : this.buffer + chunk
    let start = 0
    for (;;) {
      const end = text.indexOf('\r\n', start)
      if (end < 0) break
      const waiter = this.waiters.shift()
      const line = text.slice(start + 1, end)
      const reply = parseLine(text.charCodeAt(start), line)
      if (!waiter || reply === undefined) {
        if (waiter) this.waiters.unshift(waiter)
        this.fail(waiter ? `unexpected reply "${text.slice(start, end)}"` : 'a reply nobody waited for')
        return
      }
      start = end + 2
      waiter.done(reply)
    }
    this.buffer = start === text.length ? '' : text.slice(start)
    if (this.waiters.length > 0) return
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
    const message = `Redis push connection lost before the reply (${reason})`
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

function parseLine(type: number, line: string): RespReply | undefined {
  if (type === 58 /* : */) return Number(line)
  if (type === 43 /* + */) return line
  if (type === 45 /* - */) return new RespErrorReply(line)
  return undefined
}

/** One command as a RESP array of bulk strings. */
function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return out
}

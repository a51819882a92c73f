/**
 * A TCP proxy in front of a shared server, so a test can take "the server" away from one client without
 * touching the server others use (pg-boss's halfOpenProxy idea):
 * - `forward`: a transparent pipe;
 * - `refuse`: the port is closed and every open connection dropped, as when the server process is gone;
 * - `blackhole`: open connections dropped, new ones accepted but never answered, as behind a dead
 *   network path or a frozen host (only a connect timeout gets a client out);
 * - `loseNextReply()`: the next reply the server sends is dropped and the proxy turns to `refuse`, as when
 *   a server runs a statement and goes away before its answer leaves (an in-doubt commit).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export type ProxyMode = 'forward' | 'refuse' | 'blackhole'

export class TcpProxy {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  private mode: ProxyMode = 'forward'
  /** Set by loseNextReply(): called once the next reply has been dropped. */
  private replyLost: (() => void) | null = null

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer()
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)))
    await new Promise((resolve) => probe.close(resolve))
    const proxy = new TcpProxy(port, target)
    await proxy.listen()
    return proxy
  }

  async set(mode: ProxyMode): Promise<void> {
    this.mode = mode
    this.dropAll()
    if (mode === 'refuse') await this.unlisten()
    else if (!this.server) await this.listen()
  }

  /** Drops the server's next reply, then refuses (see above); resolves once it has. */
  loseNextReply(): Promise<void> {
    return new Promise((resolve) => (this.replyLost = resolve))
  }

  async close(): Promise<void> {
    this.dropAll()
    await this.unlisten()
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
  }

  private accept(client: Socket): void {
    this.track(client)
    client.on('error', () => undefined)
    if (this.mode !== 'forward') return
    const upstream = connect(this.target.port, this.target.host)
    this.track(upstream)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      const lost = this.replyLost
      if (!lost) {
        client.write(chunk)
        return
      }
      this.replyLost = null
      void this.set('refuse').then(lost)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  }

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }

  private async unlisten(): Promise<void> {
    const server = this.server
    this.server = null
    if (server) await new Promise((resolve) => server.close(resolve))
  }
}

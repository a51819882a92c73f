import type { FastifyInstance } from 'fastify'
import type { Application } from '../foundation/application.ts'
import { PortInUseError } from './errors.ts'
import type { HttpServerOptions } from './kernel.ts'

/**
 * The `http` service: one server per app, built on first use and closed on app shutdown, so a test or
 * `craft serve` that stops leaves no socket open. The kernel and Fastify are imported on first use, so
 * `craft list` never loads them.
 */
export class HttpKernel {
  private building: Promise<FastifyInstance> | undefined

  constructor(
    private readonly app: Application,
    private readonly options: HttpServerOptions = {},
  ) {}

  server(): Promise<FastifyInstance> {
    this.building ??= import('./kernel.ts').then(({ createHttpServer }) => createHttpServer(this.app, this.options))
    return this.building
  }

  /** Starts listening and returns the URL it listens on (port 0 picks a free port and shows it). */
  async listen(host: string, port: number): Promise<string> {
    const server = await this.server()
    try {
      await server.listen({ host, port })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(host, port)
      throw error
    }
    const address = server.server.address()
    const actualPort = typeof address === 'object' && address ? address.port : port
    return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
  }

  /** Stops accepting connections and waits for in-flight requests. Safe to call when never started. */
  async close(): Promise<void> {
    const building = this.building
    this.building = undefined
    // A server that failed to build has nothing to close; its error was already reported.
    const server = await building?.catch(() => undefined)
    await server?.close()
  }
}

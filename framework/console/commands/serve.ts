import { Command } from '../command.ts'
import { InvalidInputError } from '../errors.ts'

/**
 * `craft serve`: the app's routes on Fastify, until Ctrl+C or SIGTERM, which close the server
 * gracefully (in-flight requests finish) and exit 0. A second signal stops at once.
 */
export default class ServeCommand extends Command {
  static override commandName = 'serve'
  static override description = 'Serve the application over HTTP'
  static override options = [
    { flags: '--host <host>', description: 'The host address to serve the application on (default: APP_HOST or 127.0.0.1)' },
    { flags: '--port <port>', description: 'The port to serve the application on (default: APP_PORT or 3000; 0 picks a free one)' },
  ]

  async handle() {
    const config = this.app.config('http')
    const host = this.input.string('host') ?? config.host
    const port = this.input.integer('port') ?? config.port
    if (port > 65_535) throw new InvalidInputError(`The --port option must be between 0 and 65535, got "${port}".`)

    const http = this.app.make('http')
    // Listen for signals before binding, so a Ctrl+C during start-up still shuts down cleanly.
    const stop = stopSignal()
    try {
      const url = await http.listen(host, port)
      this.output.info(`Server running on [${url}].`)
      this.output.line('  Press Ctrl+C to stop the server\n')
      await stop.received
    } finally {
      stop.dispose()
    }
    this.output.line('  Stopping the server...')
    await http.close()
  }
}

/** The first SIGINT or SIGTERM resolves `received`; a second one exits at once (a request that never ends). */
function stopSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {}
  const received = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.on('SIGINT', forceExit)
      process.on('SIGTERM', forceExit)
      resolve(signal)
    }
  })
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    received,
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

function forceExit(signal: NodeJS.Signals): never {
  process.exit(signal === 'SIGINT' ? 130 : 143)
}

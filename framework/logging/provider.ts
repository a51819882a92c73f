import type { ServiceProvider } from '../foundation/provider.ts'
import { createLogger, type Logger } from './logger.ts'

declare module '../foundation/services.ts' {
  interface Services {
    log: Logger
  }
}

export const loggingProvider: ServiceProvider = {
  register(app) {
    app.singleton('log', () => createLogger(app.config('logging'), app.basePath), (log) => log.flush())
  },
}

import type { ServiceProvider } from '../foundation/provider.ts'
import { Dispatcher } from '../bus/dispatcher.ts'
import { QueueManager } from './queue-manager.ts'
import { JobRegistry } from './registry.ts'

declare module '../foundation/services.ts' {
  interface Services {
    queue: QueueManager
    jobs: JobRegistry
    bus: Dispatcher
  }
}

export const queueProvider: ServiceProvider = {
  register(app) {
    app.singleton('queue', () => new QueueManager(app.config('queue'), app), (queue) => queue.close())
    app.singleton('jobs', () => new JobRegistry([app.appPath('Jobs')]))
    app.singleton('bus', () => new Dispatcher(app), (bus) => bus.close())
  },
}

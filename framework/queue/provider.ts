import { SendQueuedMailable } from '../mail/send-queued-mailable.ts'
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
    // The framework's own queued jobs are registered beside the app's, so any worker can run them.
    app.singleton('jobs', () => new JobRegistry([app.appPath('Jobs')]).register(SendQueuedMailable))
    app.singleton('bus', () => new Dispatcher(app), (bus) => bus.close())
  },
}

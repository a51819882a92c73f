import type { ServiceProvider } from '../foundation/provider.ts'
import { EventDispatcher } from './dispatcher.ts'

declare module '../foundation/services.ts' {
  interface Services {
    events: EventDispatcher
  }
}

export const eventsProvider: ServiceProvider = {
  register(app) {
    app.singleton('events', () => new EventDispatcher())
  },
}

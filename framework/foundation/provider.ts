import type { Application } from './application.ts'

/** Binds a module's services into the application. Building them stays lazy (see Container). */
export interface ServiceProvider {
  register(app: Application): void
}

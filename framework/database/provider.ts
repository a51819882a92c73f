import type { ServiceProvider } from '../foundation/provider.ts'
import { DatabaseManager } from './database-manager.ts'

declare module '../foundation/services.ts' {
  interface Services {
    db: DatabaseManager
  }
}

export const databaseProvider: ServiceProvider = {
  register(app) {
    app.singleton('db', () => new DatabaseManager(app.config('database'), app.basePath), (db) => db.close())
  },
}

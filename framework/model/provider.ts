import type { ServiceProvider } from '../foundation/provider.ts'
import { ModelRegistry } from './model-registry.ts'

declare module '../foundation/services.ts' {
  interface Services {
    models: ModelRegistry
  }
}

export const modelProvider: ServiceProvider = {
  register(app) {
    app.singleton('models', () => new ModelRegistry([app.appPath('Models')]))
  },
}

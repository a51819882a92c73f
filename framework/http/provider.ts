import type { ServiceProvider } from '../foundation/provider.ts'
import { HttpKernel } from './http-kernel.ts'

declare module '../foundation/services.ts' {
  interface Services {
    http: HttpKernel
  }
}

export const httpProvider: ServiceProvider = {
  register(app) {
    app.singleton('http', () => new HttpKernel(app), (http) => http.close())
  },
}

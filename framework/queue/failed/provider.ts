import type { ServiceProvider } from '../../foundation/provider.ts'
import type { FailedJobStore } from '../contracts.ts'
import { createFailedJobStore } from './failed-job-store.ts'

declare module '../../foundation/services.ts' {
  interface Services {
    'queue.failed': FailedJobStore
  }
}

export const failedJobsProvider: ServiceProvider = {
  register(app) {
    app.singleton('queue.failed', () => createFailedJobStore(app))
  },
}

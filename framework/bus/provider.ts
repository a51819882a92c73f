import type { ServiceProvider } from '../foundation/provider.ts'
import { BatchRepository } from './batch-repository.ts'

declare module '../foundation/services.ts' {
  interface Services {
    'bus.batches': BatchRepository
  }
}

/** The job_batches repository, on config/queue.ts `batching` (database connection and table). */
export const busProvider: ServiceProvider = {
  register(app) {
    app.singleton('bus.batches', () => {
      const batching = app.config('queue').batching
      const connection = batching?.database ?? app.config('database').default
      return new BatchRepository(() => app.make('db').connection(connection), batching?.table ?? 'job_batches', connection, batching?.marks_table ?? 'job_batch_marks')
    })
  },
}

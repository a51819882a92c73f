import type { Application } from '../../foundation/application.ts'
import type { FailedJobStore } from '../contracts.ts'
import { DatabaseFailedJobStore } from './database-failed-job-store.ts'
import { NullFailedJobStore } from './null-failed-job-store.ts'

/** The failed-job store `config('queue').failed` describes. Opens no connection until first used. */
export function createFailedJobStore(app: Application): FailedJobStore {
  const config = app.config('queue').failed
  if (config.driver === 'null') return new NullFailedJobStore()
  return new DatabaseFailedJobStore(() => app.make('db').connection(config.database), config.table)
}

import type { Application } from '../foundation/application.ts'
import type { Batch } from './batch.ts'
import type { PendingBatch } from './pending-batch.ts'
import type { PendingChain } from './pending-chain.ts'

/** Implemented by Bus.fake()'s dispatcher: chains and batches are recorded instead of dispatched. */
export interface BusRecorder {
  recordChain(chain: PendingChain): Promise<string>
  recordBatch(batch: PendingBatch): Promise<Batch>
}

/** The app's bus if it is a recorder (Bus.fake() is active), else null. */
export function busRecorder(app: Application): BusRecorder | null {
  const bus = app.make('bus') as unknown as Partial<BusRecorder>
  return typeof bus.recordChain === 'function' && typeof bus.recordBatch === 'function' ? (bus as BusRecorder) : null
}

import { KilnError } from '../support/errors.ts'

/** Bus.chain([]) or Bus.batch() with something that is not a job. */
export class InvalidChainError extends KilnError {
  constructor(reason: string) {
    super('E_INVALID_CHAIN', `Cannot dispatch the chain: ${reason}. Pass an array of job instances, e.g. Bus.chain([new ProcessOrder(id), new SendInvoice(id)]).`)
  }
}

/** An item of Bus.batch([...]) that is neither a job nor a chain (an array of jobs). */
export class InvalidBatchError extends KilnError {
  constructor(reason: string) {
    super('E_INVALID_BATCH', `Cannot dispatch the batch: ${reason}. A batch holds job instances and chains (arrays of job instances).`)
  }
}

/** The job_batches table does not exist on the batching connection. */
export class BatchTableMissingError extends KilnError {
  constructor(table: string, connection: string, cause: unknown) {
    super(
      'E_BATCH_TABLE_MISSING',
      `The "${table}" table does not exist on database connection "${connection}". Run \`craft queue:batches-table\` and \`craft migrate\` (config/queue.ts "batching" names the table).`,
      { cause },
    )
  }
}

/** add()/cancel() on a batch id that job_batches does not hold (pruned or never stored). */
export class BatchNotFoundError extends KilnError {
  constructor(id: string) {
    super('E_BATCH_NOT_FOUND', `Batch "${id}" does not exist in job_batches; it may have been pruned (queue:prune-batches).`)
  }
}

/** The job_batch_marks table (which jobs a batch has counted) does not exist on the batching connection. */
export class BatchMarksTableMissingError extends KilnError {
  constructor(table: string, connection: string, cause: unknown) {
    super(
      'E_BATCH_MARKS_TABLE_MISSING',
      `The "${table}" table does not exist on database connection "${connection}": batches record there which jobs they have counted. Run \`craft migrate\` (apps that generated their batches migration before it existed: run \`craft queue:batches-table\` first).`,
      { cause },
    )
  }
}

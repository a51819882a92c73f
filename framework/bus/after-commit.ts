/**
 * Whether a knex transaction's work was kept: committed at every level up to the outermost one. knex's
 * `executionPromise` resolves on commit *and* on a plain `trx.rollback()` (doNotRejectOnRollback), so
 * the final statement each level runs (COMMIT / RELEASE SAVEPOINT vs ROLLBACK...) tells them apart.
 * A nested transaction's release only counts once its parent commits, as Laravel's afterCommit waits
 * for the outermost transaction.
 */

/** The parts of a knex transaction this relies on (structural, so knex stays a lazy import). */
export interface TransactionLike {
  executionPromise: Promise<unknown>
  isCompleted(): boolean
  parentTransaction?: TransactionLike
  on(event: 'query', listener: (query: { sql?: unknown }) => void): unknown
  removeListener(event: 'query', listener: (query: { sql?: unknown }) => void): unknown
}

/** Resolves true once `trx` and every transaction around it committed; false if any rolled back. */
export async function committed(trx: TransactionLike): Promise<boolean> {
  const levels: TransactionLike[] = []
  for (let level: TransactionLike | undefined = trx; level; level = level.parentTransaction) levels.push(level)
  // Watch every level now: the statements that end them have not run yet.
  const outcomes = levels.map(kept)
  for (const outcome of outcomes) if (!(await outcome)) return false
  return true
}

function kept(trx: TransactionLike): Promise<boolean> {
  let last = ''
  const listener = (query: { sql?: unknown }) => {
    if (typeof query.sql === 'string') last = query.sql
  }
  trx.on('query', listener)
  return trx.executionPromise
    .then(
      () => !/^\s*ROLLBACK\b/i.test(last),
      () => false,
    )
    .finally(() => trx.removeListener('query', listener))
}

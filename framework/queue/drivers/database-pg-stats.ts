import type { Knex } from 'knex'

/** How often one driver may look at the jobs table's statistics, at most. */
const CHECK_EVERY_MS = 30_000

/**
 * Keeps PostgreSQL's statistics of the jobs table from lagging far behind its contents.
 *
 * A queue table can go from empty to 100,000 rows in a second (a bulk dispatch), and autovacuum analyzes
 * it only on its next round, up to a minute later. Until then the planner takes `queue = ?` for a rare
 * value and plans a claim of many jobs as "read every row of the queue, then sort them": on 20,000
 * waiting jobs a claim of 500 took 15-40 ms instead of 1-3 ms, and a prepared claim keeps that plan.
 * So before its first claim, and when a claim comes back full (there is a backlog), the driver checks, at
 * most every 30 s, whether the table was never analyzed, has no statistics on `queue`, or has more than
 * doubled in pages since; if so it runs ANALYZE (a sample of at most 30,000 rows; prepared plans are
 * replanned after it).
 * Without the privilege to analyze the table PostgreSQL only warns, and nothing changes.
 */
export class PgStatsKeeper {
  private checkedAt = -Infinity
  private running: Promise<void> | null = null

  constructor(
    private readonly db: Knex,
    private readonly table: string,
  ) {}

  /** True until the first check started: the first claim waits for it, so it is planned on fresh statistics. */
  get unchecked(): boolean {
    return this.checkedAt === -Infinity
  }

  /** Checks (and analyzes) unless that was done in the last 30 s. Never throws. */
  check(): Promise<void> {
    const now = Date.now()
    if (this.running) return this.running
    if (now - this.checkedAt < CHECK_EVERY_MS) return DONE
    this.checkedAt = now
    this.running = this.refresh()
      .catch(() => undefined)
      .finally(() => (this.running = null))
    return this.running
  }

  private async refresh(): Promise<void> {
    const result = await this.db.raw(
      `SELECT c.reltuples < 0 AS never,
        pg_relation_size(c.oid) / current_setting('block_size')::int > 2 * c.relpages + 8 AS grown,
        NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'queue') AS missing
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(?)`,
      [this.table],
    )
    const row = (result as { rows?: { never: boolean; grown: boolean; missing: boolean }[] }).rows?.[0]
    if (row && (row.never || row.grown || row.missing)) await this.db.raw(`ANALYZE ${this.table}`)
  }
}

const DONE = Promise.resolve()

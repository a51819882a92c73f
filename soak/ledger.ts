/**
 * The ledger the soak counts from: a SQLite file of its own (never the queue's database) that the fixture
 * jobs write one row to per execution (tests/fixtures/soak-app/app/Jobs/ledger.ts). From it:
 * lost = dispatched keys − executed keys, duplicates = finished executions − distinct finished keys.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'

export interface LedgerCounts {
  /** Dispatched keys with no finished execution. */
  lost: number
  /** Finished executions beyond one per key. */
  duplicates: number
  /** Finished executions. */
  executions: number
  /** Executions started (finished or cut off). */
  starts: number
}

export class Ledger {
  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly db: BetterSqlite3.Database,
  ) {}

  static async create(): Promise<Ledger> {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-soak-ledger-'))
    const path = join(dir, 'ledger.sqlite')
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(path, { timeout: 30_000 })
    // WAL: the jobs of many worker processes append at once while the runner reads.
    db.pragma('journal_mode = WAL')
    db.exec(`CREATE TABLE executions (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      job_key TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      pid INTEGER NOT NULL,
      started_at INTEGER NOT NULL,
      finished_at INTEGER
    )`)
    db.exec('CREATE INDEX executions_key ON executions (job_key)')
    return new Ledger(path, dir, db)
  }

  /** Empties the ledger between scenarios. */
  reset(): void {
    this.db.exec('DELETE FROM executions')
  }

  /** Distinct keys with a finished execution. */
  finishedKeys(prefix = ''): number {
    const row = this.db.prepare('SELECT COUNT(DISTINCT job_key) AS n FROM executions WHERE finished_at IS NOT NULL AND job_key LIKE ?').get(`${prefix}%`) as { n: number }
    return row.n
  }

  /** The counts for keys `<prefix>0 .. <prefix>(dispatched-1)`. */
  counts(prefix: string, dispatched: number): LedgerCounts {
    const like = `${prefix}%`
    const finished = this.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT job_key) AS d FROM executions WHERE finished_at IS NOT NULL AND job_key LIKE ?').get(like) as { n: number; d: number }
    const starts = this.db.prepare('SELECT COUNT(*) AS n FROM executions WHERE job_key LIKE ?').get(like) as { n: number }
    return { lost: dispatched - finished.d, duplicates: finished.n - finished.d, executions: finished.n, starts: starts.n }
  }

  /** Every execution of the keys starting with `prefix`, oldest first. */
  executions(prefix: string): { key: string; attempt: number; pid: number; startedAt: number; finishedAt: number | null }[] {
    return this.db
      .prepare('SELECT job_key AS key, attempt, pid, started_at AS startedAt, finished_at AS finishedAt FROM executions WHERE job_key LIKE ? ORDER BY id')
      .all(`${prefix}%`) as { key: string; attempt: number; pid: number; startedAt: number; finishedAt: number | null }[]
  }

  close(): void {
    this.db.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

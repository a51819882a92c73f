/**
 * Collects every sample of a run under its key (e.g. `pg.kiln.enqueue`), logs each measurement to
 * stderr as it lands, and keeps the list of scenarios that failed so that one failure costs its own
 * figures only, not the run.
 */
import type { TaskResult } from './protocol.ts'
import type { Samples } from './report.ts'
import { percentile } from './stats.ts'

export class Recorder {
  readonly samples: Samples = new Map()
  /** Scenarios that failed; the run goes on and their figures print as n/a. */
  readonly failures: string[] = []

  /** Runs one scenario; a failure is logged and recorded instead of ending the whole run. */
  async attempt(label: string, scenario: () => Promise<void>): Promise<void> {
    try {
      await scenario()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const summary = `${label}: ${message.split('\n').slice(0, 3).join(' ').slice(0, 400)}`
      this.failures.push(summary)
      process.stderr.write(`  FAILED ${summary}\n`)
    }
  }

  add(key: string, ...values: number[]): void {
    const list = this.samples.get(key) ?? []
    list.push(...values)
    this.samples.set(key, list)
  }

  log(label: string, result: TaskResult, unit = 'jobs/s'): void {
    const rss = result.rssMb === undefined ? '' : `, rss ${result.rssMb.toFixed(1)} MB`
    process.stderr.write(`  ${label}: ${Math.round(result.rate).toLocaleString('en-US')} ${unit} (${result.count} in ${Math.round(result.ms)} ms${rss})\n`)
    if (result.leftover) {
      const warning = `${label}: ${result.leftover} job(s) still queued after the worker stopped`
      this.failures.push(warning)
      process.stderr.write(`  WARNING ${warning}\n`)
    }
  }

  logLatency(label: string, latencies: number[]): void {
    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    process.stderr.write(`  ${label} dispatch->handler: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${latencies.length} jobs)\n`)
  }
}

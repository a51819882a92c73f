/** What every scenario gets (a backend, the ledger, the mode) and the small helpers they share. */
import type { Job } from '../../framework/queue/job.ts'
import { encodeJob } from '../../framework/queue/payload-codec.ts'
import type { Backend, BackendName } from '../backends.ts'
import type { Ledger } from '../ledger.ts'
import type { ScenarioResult } from '../report.ts'

export interface ScenarioContext {
  backend: Backend
  ledger: Ledger
  /** The short CI variant: fewer jobs, shorter intervals. */
  ci: boolean
  log(message: string): void
}

export interface Scenario {
  /** "1", "7", ... as numbered in the issue. */
  id: string
  title: string
  /** Queues the scenario uses (emptied before it runs). */
  queues: string[]
  /** Backends it runs on (all when omitted). */
  drivers?: BackendName[]
  run(context: ScenarioContext): Promise<ScenarioResult>
}

/** The env of a worker of this context: the backend's plus the ledger the jobs write to. */
export function workerEnv(context: ScenarioContext, extra: Record<string, string> = {}): Record<string, string> {
  return { ...context.backend.env, KILN_SOAK_LEDGER: context.ledger.path, ...extra }
}

/** Encodes and pushes jobs in bulk; returns their uuids in order. */
export async function dispatch(context: ScenarioContext, jobs: Job[], queue = 'default'): Promise<string[]> {
  const uuids: string[] = []
  for (let i = 0; i < jobs.length; i += 500) {
    const encoded = jobs.slice(i, i + 500).map((job) => encodeJob(job))
    await context.backend.driver.bulkRaw(
      encoded.map((e) => e.payload),
      queue,
    )
    uuids.push(...encoded.map((e) => e.uuid))
  }
  return uuids
}

/** The value at fraction `p` (0.99 = p99) of ascending `sorted`; undefined when it is empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `condition` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() >= deadline) return false
    await sleep(everyMs)
  }
}

/** A result row with the time since `startedAt` and pass = no reasons. */
export function result(context: ScenarioContext, scenario: Scenario, startedAt: number, values: { lost: number; duplicates: number; failed: number; passLine: string; notes: string[]; reasons: string[] }): ScenarioResult {
  return {
    scenario: `${scenario.id} ${scenario.title}`,
    driver: context.backend.label,
    lost: values.lost,
    duplicates: values.duplicates,
    failed: values.failed,
    seconds: (Date.now() - startedAt) / 1000,
    pass: values.reasons.length === 0,
    passLine: values.passLine,
    notes: [...values.notes, ...values.reasons.map((reason) => `FAIL: ${reason}`)],
  }
}

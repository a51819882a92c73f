/**
 * The measurement shapes every suite reuses, each on a fresh target and with the worker in a child
 * process of its own: fill a queue then drain it with one worker process; time dispatch -> handler
 * start with an idle worker; run a raw loop.
 */
import { startChild, runChild } from './process.ts'
import type { TaskArgs, TaskResult } from './protocol.ts'
import type { Scratch } from './servers.ts'
import type { TaskName } from './tasks.ts'

export interface SuiteOptions {
  jobs: number
  repeat: number
  /** Latency runs: timed jobs per repeat (after `latencyWarmup` untimed ones). */
  latencyJobs: number
  latencyWarmup: number
  spacingMs: number
  /** Redis only: the long worker-memory run, RSS at job `from` and at job `to` (100,000). */
  rss: { from: number; to: number } | null
}

/**
 * Stores `jobs` jobs with `produce` (one at a time or in bulk: that is the enqueue figure), then starts
 * one worker process with `work` at `concurrency` and lets it drain them (the processing figure).
 */
export async function fillThenDrain(
  fresh: () => Promise<Scratch>,
  produce: TaskName,
  work: TaskName,
  args: Omit<TaskArgs, 'target'>,
): Promise<{ produced: TaskResult; worked: TaskResult }> {
  const scratch = await fresh()
  try {
    const produced = await runChild(produce, { ...args, target: scratch.target })
    const worked = await runChild(work, { ...args, target: scratch.target })
    return { produced, worked }
  } finally {
    await scratch.drop()
  }
}

/**
 * Starts an idle worker process, then a producer process that dispatches jobs one by one, `spacingMs`
 * apart, each stamped with its send time; returns the dispatch -> handler-start latencies (ms) of the
 * timed jobs, warm-up jobs dropped.
 */
export async function idleLatency(
  fresh: () => Promise<Scratch>,
  produce: TaskName,
  work: TaskName,
  options: Pick<SuiteOptions, 'latencyJobs' | 'latencyWarmup' | 'spacingMs'> & { mode?: string },
): Promise<number[]> {
  const scratch = await fresh()
  const total = options.latencyJobs + options.latencyWarmup
  const args: TaskArgs = { target: scratch.target, jobs: total, concurrency: 1, spacingMs: options.spacingMs, ...(options.mode ? { mode: options.mode } : {}) }
  try {
    // Every worker creates what it needs (Kiln and graphile-worker migrate, BullMQ needs no schema).
    const worker = startChild(work, args, 60_000 + total * options.spacingMs * 4)
    try {
      await worker.ready
      await runChild(produce, args)
      const worked = await worker.result
      return (worked.latencies ?? []).slice(options.latencyWarmup)
    } finally {
      worker.kill()
    }
  } finally {
    await scratch.drop()
  }
}

/** One raw loop on a fresh target. */
export async function rawLoop(fresh: () => Promise<Scratch>, task: TaskName, jobs: number, concurrency: number): Promise<TaskResult> {
  const scratch = await fresh()
  try {
    return await runChild(task, { target: scratch.target, jobs, concurrency })
  } finally {
    await scratch.drop()
  }
}

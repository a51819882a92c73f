/**
 * The worker's settings as one plain value object (Laravel's WorkerOptions): `queue:work` flags parse
 * into it, tests build it with `workerOptions({ ... })`. A job's own settings (tries, backoff, timeout)
 * beat these; these are the defaults.
 */
export interface WorkerOptions {
  /** Shown in logs and events; lets a supervisor tell workers apart. */
  name: string
  /** Queues in priority order: the first non-empty one is served first. Empty = the connection's default. */
  queues: string[]
  /** Seconds to wait when every queue was empty. */
  sleep: number
  /** Attempts before a failing job is failed (0 = unlimited), unless the job says otherwise. */
  tries: number
  /** Seconds before each retry; the last value repeats. */
  backoff: number[]
  /** Seconds an attempt may run (0 = no limit). */
  timeout: number
  /** Stop after this many jobs (0 = no limit). */
  maxJobs: number
  /** Stop after this many seconds (0 = no limit). */
  maxTime: number
  /** Stop (exit code 12) when JavaScript heap + buffers exceed this many megabytes. */
  memory: number
  /** Seconds to rest after each job. */
  rest: number
  /** Process at most one job, then stop. */
  once: boolean
  /** Stop as soon as every queue is empty. */
  stopWhenEmpty: boolean
  /** Jobs in flight at once in this process. */
  concurrency: number
  /** Run even when the application is in maintenance mode. */
  force: boolean
  /**
   * Jobs reserved ahead of the free slots, claimed in batches and acknowledged in batches (0 = off;
   * null = the connection's `prefetch` setting). See prefetch-buffer.ts for what it loosens.
   */
  prefetch: number | null
}

export const defaultWorkerOptions: Readonly<WorkerOptions> = Object.freeze({
  name: 'default',
  queues: [],
  sleep: 3,
  tries: 1,
  backoff: [0],
  timeout: 60,
  maxJobs: 0,
  maxTime: 0,
  memory: 128,
  rest: 0,
  once: false,
  stopWhenEmpty: false,
  concurrency: 1,
  force: false,
  prefetch: null,
})

/** The defaults with `overrides` applied (undefined values keep the default). */
export function workerOptions(overrides: Partial<WorkerOptions> = {}): WorkerOptions {
  const options: WorkerOptions = { ...defaultWorkerOptions, queues: [...defaultWorkerOptions.queues], backoff: [...defaultWorkerOptions.backoff] }
  for (const [key, value] of Object.entries(overrides) as [keyof WorkerOptions, WorkerOptions[keyof WorkerOptions] | undefined][]) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value
  }
  if (options.backoff.length === 0) options.backoff = [0]
  if (options.concurrency < 1) options.concurrency = 1
  return options
}

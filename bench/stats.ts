/**
 * Small statistics and clock helpers shared by every measurement. Times are milliseconds on a clock that
 * two processes of the same machine agree on (`performance.timeOrigin + performance.now()`), so a
 * producer process and a worker process can measure one job's latency between them.
 */

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function sharedClock(): number {
  return performance.timeOrigin + performance.now()
}

export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** The nearest-rank percentile (p in 0..100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number
}

/** Jobs (or pairs) per second for `count` operations that took `ms`. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN
}

/** Megabytes, for resident-set sizes. */
export function megabytes(bytes: number): number {
  return bytes / (1024 * 1024)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs `task` on every item with at most `limit` in flight; resolves when all are done. */
export async function inFlight<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The result of `count` operations that started at `start` (shared clock) and just finished. */
export function timedSince(count: number, start: number): { count: number; ms: number; rate: number } {
  const ms = sharedClock() - start
  return { count, ms, rate: perSecond(count, ms) }
}

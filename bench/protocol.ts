/**
 * What the orchestrator and its measurement child processes exchange: the arguments of a task, the
 * result it reports, and the IPC messages that carry them.
 */
import type { ConnectionConfig } from '../framework/database/config.ts'

/** Where a task runs: a fresh SQL database of its own, or a key prefix of its own on the Redis server. */
export type Target =
  | { kind: 'sql'; engine: 'pgsql' | 'mysql' | 'sqlite'; config: ConnectionConfig }
  | { kind: 'redis'; host: string; port: number; prefix: string }

export interface TaskArgs {
  target: Target
  /** Jobs (or pairs) to enqueue, process or time. */
  jobs: number
  /** Jobs in flight in the worker, or raw loops in flight. */
  concurrency?: number
  /** Peer configuration, e.g. graphile-worker's 'defaults' or 'batched'. */
  mode?: string
  /** Latency runs: milliseconds between two dispatches. */
  spacingMs?: number
  /** Worker runs: record the resident set size when the handler count reaches each of these. */
  rssCheckpoints?: number[]
}

export interface TaskResult {
  /** Operations measured. */
  count: number
  /** Wall time of the measured window. */
  ms: number
  /** Operations per second over that window. */
  rate: number
  /** Resident set size of the process at the end, in MB. */
  rssMb?: number
  /** Handler-count checkpoint -> RSS in MB. */
  rssAt?: Record<number, number>
  /** Dispatch -> handler start, in ms, in arrival order. */
  latencies?: number[]
  /** Jobs still in the queue after the worker stopped (should be 0: every job run once, and acknowledged). */
  leftover?: number
  /** Something the report must say about how this was measured (e.g. "driver-only"). */
  note?: string
}

export type ChildMessage = { type: 'ready' } | { type: 'result'; result: TaskResult } | { type: 'error'; message: string }

/** What a task may tell the orchestrator before it finishes. */
export interface TaskSignals {
  /** The worker is up and idle: the orchestrator may start producing. */
  ready(): void
}

export type Task = (args: TaskArgs, signals: TaskSignals) => Promise<TaskResult>

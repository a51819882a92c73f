import type { FailedJobRecord } from '../contracts.ts'

/** What `queue:failed` shows for one record. */
export interface FailedJobSummary {
  id: number
  uuid: string
  connection: string
  queue: string
  job: string
  failedAt: string
  exception: string
}

export function summarizeFailedJob(record: FailedJobRecord): FailedJobSummary {
  return {
    id: record.id,
    uuid: record.uuid,
    connection: record.connection,
    queue: record.queue,
    job: jobName(record.payload),
    failedAt: record.failedAt.toISOString().replace('T', ' ').slice(0, 19),
    exception: firstLine(record.exception, 80),
  }
}

/** The payload's displayName (or job name); the raw bytes are never trusted beyond that. */
export function jobName(payload: string): string {
  try {
    const decoded = JSON.parse(payload) as unknown
    if (decoded && typeof decoded === 'object') {
      const { displayName, job } = decoded as { displayName?: unknown; job?: unknown }
      if (typeof displayName === 'string' && displayName) return displayName
      if (typeof job === 'string' && job) return job
    }
  } catch {
    // fall through
  }
  return '(malformed payload)'
}

function firstLine(text: string, max: number): string {
  const line = text.split('\n', 1)[0]?.trim() ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

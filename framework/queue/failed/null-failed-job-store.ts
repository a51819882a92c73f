import type { FailedJobRecord, FailedJobStore } from '../contracts.ts'

/** `failed.driver = 'null'`: failed jobs are discarded (their `failed()` hook and events still run). */
export class NullFailedJobStore implements FailedJobStore {
  async log(): Promise<number> {
    return 0
  }

  async all(): Promise<FailedJobRecord[]> {
    return []
  }

  async find(): Promise<FailedJobRecord | null> {
    return null
  }

  async take(): Promise<FailedJobRecord | null> {
    return null
  }

  async forget(): Promise<boolean> {
    return false
  }

  async flush(): Promise<number> {
    return 0
  }
}

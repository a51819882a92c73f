import { ServiceUnavailableError } from '../../support/service-unavailable.ts'
import type { QueueDriver } from '../contracts.ts'

/**
 * Opens the worker's queue connection, waiting for a server that is down as the worker starts (one a
 * supervisor restarted during an outage) instead of exiting: under a supervisor an exit repeats every
 * second as a crash loop. Each failed try is reported (one line) and followed by a pause; any other error
 * (a bad config, a missing driver) is thrown at once, as is the last one once a stop was requested.
 */
export async function connectWhenAvailable(open: () => Promise<QueueDriver>, wait: WaitSettings): Promise<QueueDriver> {
  for (;;) {
    try {
      return await open()
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError) || wait.stopping.aborted) throw error
      await wait.report?.(error)
      await wait.pause(wait.retryMs)
    }
  }
}

export interface WaitSettings {
  retryMs: number
  report?: (error: unknown) => void | Promise<void>
  /** Sleeps `ms`, cut short when the worker is asked to stop. */
  pause: (ms: number) => Promise<void>
  stopping: AbortSignal
}

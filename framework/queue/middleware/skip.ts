import type { Job, JobMiddleware } from '../job.ts'

/** A fixed answer, or one computed when the job is about to run. */
export type SkipCondition = boolean | (() => boolean | Promise<boolean>)

/**
 * Deletes the job without running it when a condition holds (Laravel's Skip):
 * `Skip.when(() => this.order.cancelled)`, `Skip.unless(featureEnabled)`. A function is evaluated when the
 * middleware runs, on the worker, just before handle().
 */
export class Skip implements JobMiddleware {
  private constructor(
    private readonly condition: SkipCondition,
    private readonly skipWhen: boolean,
  ) {}

  /** Skips the job when `condition` is true. */
  static when(condition: SkipCondition): Skip {
    return new Skip(condition, true)
  }

  /** Skips the job unless `condition` is true. */
  static unless(condition: SkipCondition): Skip {
    return new Skip(condition, false)
  }

  async handle(job: Job, next: () => Promise<void>): Promise<void> {
    const holds = typeof this.condition === 'function' ? await this.condition() : this.condition
    if (holds === this.skipWhen) {
      job.delete()
      return
    }
    await next()
  }
}

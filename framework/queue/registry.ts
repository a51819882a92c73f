/**
 * Job names to classes. A payload can only name a class registered here, by discovery of app/Jobs or
 * by register(): the worker never imports a module path taken from a payload, so a name such as
 * `../../x`, `node:child_process` or `__proto__` is simply unknown.
 */
import { ClassRegistry } from '../support/class-registry.ts'
import { DuplicateJobNameError, InvalidJobFileError, UnknownJobError } from './errors.ts'
import { isJobClass, jobNameOf, type Job, type JobClass } from './job.ts'

export class JobRegistry extends ClassRegistry<JobClass> {
  /** `autoload`: folders discovered once, on the first ready() (the provider passes app/Jobs). */
  constructor(autoload: string[] = []) {
    super({
      autoload,
      accepts: (value): value is JobClass => isJobClass(value) && !isAbstractBase(value),
      nameOf: (cls) => jobNameOf(cls),
      errors: {
        unknown: (name, known) => new UnknownJobError(name, known),
        duplicate: (name) => new DuplicateJobNameError(name),
        invalidFile: (file, cause) => new InvalidJobFileError(file, cause),
      },
    })
  }

  /** Registers a class under its job name (or `name`). Re-registering the same class is a no-op. */
  override register(cls: JobClass, name?: string): this {
    if (!isJobClass(cls)) throw new TypeError('JobRegistry.register() expects a class extending Job.')
    return super.register(cls, name)
  }

  get(name: string): JobClass | undefined {
    return this.has(name) ? this.resolve(name) : undefined
  }

  /** Registers the class of a job this process dispatches itself (the sync path runs it by name). */
  ensure(job: Job): void {
    this.register(job.constructor as JobClass)
  }
}

/** QueuedJob itself, re-exported by an app file, is not a job of the app. */
function isAbstractBase(cls: JobClass): boolean {
  return Object.hasOwn(cls, 'shouldQueue')
}

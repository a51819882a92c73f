/**
 * Job names to classes. A payload can only name a class registered here, by discovery of app/Jobs or
 * by register(): the worker never imports a module path taken from a payload, so a name such as
 * `../../x`, `node:child_process` or `__proto__` is simply unknown.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DuplicateJobNameError, InvalidJobFileError, UnknownJobError } from './errors.ts'
import { isJobClass, jobNameOf, type Job, type JobClass } from './job.ts'

export class JobRegistry {
  private readonly classes = new Map<string, JobClass>()
  private loading: Promise<this> | undefined

  /** `autoload`: folders discovered once, on the first ready() (the provider passes app/Jobs). */
  constructor(private readonly autoload: string[] = []) {}

  /** Registers `cls` under `name` (its class name by default). Re-registering the same class is a no-op. */
  register(nameOrClass: string | JobClass, cls?: JobClass): this {
    const jobClass = typeof nameOrClass === 'string' ? cls : nameOrClass
    if (!isJobClass(jobClass)) throw new TypeError('JobRegistry.register() expects a class extending Job.')
    const name = typeof nameOrClass === 'string' ? nameOrClass : jobNameOf(jobClass)
    const existing = this.classes.get(name)
    if (existing && existing !== jobClass) throw new DuplicateJobNameError(name)
    this.classes.set(name, jobClass)
    return this
  }

  /** The class registered as `name`; throws E_UNKNOWN_JOB otherwise. */
  resolve(name: string): JobClass {
    const cls = this.classes.get(name)
    if (!cls) throw new UnknownJobError(name, this.names())
    return cls
  }

  get(name: string): JobClass | undefined {
    return this.classes.get(name)
  }

  has(name: string): boolean {
    return this.classes.has(name)
  }

  names(): string[] {
    return [...this.classes.keys()].sort()
  }

  /** Registers the class of a job this process dispatches itself (the sync path runs it by name). */
  ensure(job: Job): void {
    this.register(job.constructor as JobClass)
  }

  /** Discovers the autoload folders once; await it before resolving names from payloads. */
  ready(): Promise<this> {
    this.loading ??= (async () => {
      for (const dir of this.autoload) await this.discover(dir)
      return this
    })()
    return this.loading
  }

  /**
   * Imports every .ts/.js file under `dir` (recursively) and registers each exported Job subclass under
   * its job name. Returns the names found. A missing folder registers nothing.
   */
  async discover(dir: string): Promise<string[]> {
    const found: string[] = []
    for (const file of listModules(dir)) {
      let module: Record<string, unknown>
      try {
        module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
      } catch (error) {
        throw new InvalidJobFileError(relative(process.cwd(), file) || file, error)
      }
      for (const value of new Set(Object.values(module))) {
        if (!isJobClass(value) || isAbstractBase(value)) continue
        this.register(value)
        found.push(jobNameOf(value))
      }
    }
    return found
  }
}

function listModules(dir: string): string[] {
  if (!existsSync(dir)) return []
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...listModules(path))
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.(d|test|spec)\.[mc]?[tj]s$/.test(entry.name)) files.push(path)
  }
  return files
}

/** QueuedJob itself, re-exported by an app file, is not a job of the app. */
function isAbstractBase(cls: JobClass): boolean {
  return Object.hasOwn(cls, 'shouldQueue')
}

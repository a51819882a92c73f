/**
 * Names to classes, filled by discovering a folder of the app (app/Models, app/Mail) or by register().
 * Payloads name classes (a model reference, a queued mailable); only a registered name resolves, so a
 * payload can never make the process import a path of its choosing.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'

/** Any class, whatever its constructor's parameters. */
export type AnyClass = abstract new (...args: never[]) => object

export interface ClassRegistryOptions<C extends AnyClass> {
  /** Folders discovered once, on the first ready(). */
  autoload?: string[]
  /** Which exported values are classes of this registry. */
  accepts(value: unknown): value is C
  /** The name a class is stored under (its class name unless it says otherwise). */
  nameOf(cls: C): string
  /** Errors raised by the registry, so each module keeps its own codes. */
  errors: {
    unknown(name: string, known: string[]): Error
    duplicate(name: string): Error
    invalidFile(file: string, cause: unknown): Error
  }
}

export class ClassRegistry<C extends AnyClass> {
  private readonly classes = new Map<string, C>()
  private loading: Promise<this> | undefined

  constructor(private readonly options: ClassRegistryOptions<C>) {}

  /** Registers `cls` under its name (or `name`). Registering the same class again is a no-op. */
  register(cls: C, name?: string): this {
    name ??= this.options.nameOf(cls)
    const existing = this.classes.get(name)
    if (existing && existing !== cls) throw this.options.errors.duplicate(name)
    this.classes.set(name, cls)
    return this
  }

  resolve(name: string): C {
    const cls = this.classes.get(name) // a Map: names such as __proto__ are just unknown
    if (!cls) throw this.options.errors.unknown(name, this.names())
    return cls
  }

  has(name: string): boolean {
    return this.classes.has(name)
  }

  names(): string[] {
    return [...this.classes.keys()].sort()
  }

  /** Discovers the autoload folders once; await it before resolving names read from payloads. */
  ready(): Promise<this> {
    this.loading ??= (async () => {
      for (const dir of this.options.autoload ?? []) await this.discover(dir)
      return this
    })()
    return this.loading
  }

  /** Imports every module under `dir` (recursively) and registers each exported class it accepts. */
  async discover(dir: string): Promise<string[]> {
    const found: string[] = []
    for (const file of listModules(dir)) {
      let module: Record<string, unknown>
      try {
        module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
      } catch (error) {
        throw this.options.errors.invalidFile(relative(process.cwd(), file) || file, error)
      }
      for (const value of new Set(Object.values(module))) {
        if (!this.options.accepts(value)) continue
        this.register(value)
        found.push(this.options.nameOf(value))
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

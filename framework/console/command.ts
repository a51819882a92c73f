import type { Application } from '../foundation/application.ts'
import type { Input } from './input.ts'
import type { Output } from './output.ts'

export interface ArgumentSpec {
  name: string
  description: string
  required?: boolean
  /** Takes every remaining value (`queue:retry 1 2 3`). */
  variadic?: boolean
}

export interface OptionSpec {
  /** commander flags: `--queue <names>`, `--once`, `-f, --force`. */
  flags: string
  description: string
  default?: string | boolean
}

/** The static side of a command class: what `craft list` and `--help` are generated from. */
export interface CommandClass {
  commandName: string
  description: string
  arguments: ArgumentSpec[]
  options: OptionSpec[]
  /** False for commands that run before (or without) the app's config, such as `list`. */
  needsApplication: boolean
  new (app: Application, input: Input, output: Output): Command
}

/**
 * A craft command: a small class with a static name, description, arguments and options, and a
 * `handle()` that parses input, calls the layer below and renders. No queue or database logic here.
 * `handle()` returns the exit code (0 when it returns nothing).
 */
export abstract class Command {
  static commandName = ''
  static description = ''
  static arguments: ArgumentSpec[] = []
  static options: OptionSpec[] = []
  static needsApplication = true

  constructor(
    protected readonly app: Application,
    protected readonly input: Input,
    protected readonly output: Output,
  ) {}

  abstract handle(): Promise<number | void>
}

export function isCommandClass(value: unknown): value is CommandClass {
  return typeof value === 'function' && value.prototype instanceof Command && typeof (value as { commandName?: unknown }).commandName === 'string'
}

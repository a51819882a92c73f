import { InvalidInputError } from './errors.ts'

type OptionValue = string | boolean | string[] | undefined

/** The parsed arguments and options of one invocation, with typed readers that fail with clear messages. */
export class Input {
  constructor(
    private readonly args: Record<string, string | string[] | undefined>,
    private readonly opts: Record<string, OptionValue>,
  ) {}

  argument(name: string): string | undefined {
    const value = this.args[name]
    return Array.isArray(value) ? value[0] : value
  }

  /** A variadic argument's values. */
  arguments(name: string): string[] {
    const value = this.args[name]
    if (value === undefined) return []
    return Array.isArray(value) ? value : [value]
  }

  option(name: string): OptionValue {
    return this.opts[camel(name)]
  }

  string(name: string): string | undefined {
    const value = this.option(name)
    if (value === undefined || typeof value === 'boolean') return undefined
    return Array.isArray(value) ? value.join(',') : value
  }

  boolean(name: string): boolean {
    return Boolean(this.option(name))
  }

  /** A whole number option; `min` bounds it. */
  integer(name: string, min = 0): number | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    if (!/^-?\d+$/.test(raw.trim()) || Number(raw) < min) {
      throw new InvalidInputError(`The --${name} option must be a whole number${min > 0 ? ` of at least ${min}` : min === 0 ? ' (0 or more)' : ''}, got "${raw}".`)
    }
    return Number(raw)
  }

  /** A number option (decimals allowed), at least `min`. */
  number(name: string, min = 0): number | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(value) || value < min) {
      throw new InvalidInputError(`The --${name} option must be a number of at least ${min}, got "${raw}".`)
    }
    return value
  }

  /** A comma-separated list option (`--queue=high,default`), empty items dropped. */
  list(name: string): string[] | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
  }
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

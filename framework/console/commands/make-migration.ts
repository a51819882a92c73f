import { readFileSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'
import { writeMigrationFile } from '../../database/migration-files.ts'
import { Command } from '../command.ts'
import { InvalidInputError } from '../errors.ts'

export default class MakeMigrationCommand extends Command {
  static override commandName = 'make:migration'
  static override description = 'Create a new migration file'
  static override arguments = [{ name: 'name', description: 'The name of the migration (create_flights_table)', required: true }]
  static override options = [
    { flags: '--create <table>', description: 'The table to be created' },
    { flags: '--table <table>', description: 'The table to migrate' },
    { flags: '--path <path>', description: 'The location where the migration file should be created (relative to the app root, or absolute)' },
  ]

  async handle() {
    const name = migrationName(this.input.argument('name') ?? '')
    const create = this.input.string('create')
    const given = this.input.string('table') ?? create
    const [table, creating] = given !== undefined ? [validTable(given), create !== undefined] : guessTable(name)
    const stub = table === undefined ? 'migration.stub' : creating ? 'migration.create.stub' : 'migration.update.stub'
    const contents = renderStub(stub, { table: table ?? '' })
    const path = this.input.string('path')
    const dir = path === undefined ? this.app.databasePath('migrations') : isAbsolute(path) ? path : join(this.app.basePath, path)
    const file = writeMigrationFile(dir, name, contents)
    this.output.info(`Migration [${relative(this.app.basePath, file)}] created successfully.`)
  }
}

/** `CreateFlightsTable` -> `create_flights_table`; anything that cannot be a file name is refused. */
export function migrationName(raw: string): string {
  const name = raw.trim()
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidInputError(
      `"${raw}" is not a valid migration name: use letters, digits and underscores, starting with a letter (e.g. create_flights_table).`,
    )
  }
  return name.replace(/([a-z0-9])(?=[A-Z])/g, '$1_').toLowerCase()
}

/** Laravel's TableGuesser: `create_x_table` creates x; `add_y_to_x_table` changes x. */
export function guessTable(name: string): [table: string | undefined, create: boolean] {
  const create = /^create_(\w+?)_table$/.exec(name) ?? /^create_(\w+)$/.exec(name)
  if (create?.[1]) return [create[1], true]
  const change = /.+_(?:to|from|in)_(\w+?)_table$/.exec(name) ?? /.+_(?:to|from|in)_(\w+)$/.exec(name)
  if (change?.[1]) return [change[1], false]
  return [undefined, false]
}

export function renderStub(stub: string, values: Record<string, string>): string {
  const text = readFileSync(join(import.meta.dirname, '..', 'stubs', stub), 'utf8')
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, key: string) => values[key] ?? match)
}

function validTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) {
    throw new InvalidInputError(`"${table}" is not a valid table name: use letters, digits and underscores.`)
  }
  return table
}

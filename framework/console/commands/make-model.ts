import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { writeMigrationFile } from '../../database/migration-files.ts'
import { assertClassName } from '../class-name.ts'
import { Command } from '../command.ts'
import { CommandFailedError, InvalidInputError } from '../errors.ts'
import { renderStub } from '../stubs.ts'

export default class MakeModelCommand extends Command {
  static override commandName = 'make:model'
  static override description = 'Create a new model class'
  static override arguments = [{ name: 'name', description: 'The class name of the model (e.g. Flight)', required: true }]
  static override options = [{ flags: '-m, --migration', description: 'Create a new migration file for the model' }]

  async handle() {
    const className = assertClassName(this.input.argument('name'), 'model')
    if (className === 'Model') throw new InvalidInputError('"Model" is the name of the base class; choose another model name.')
    const table = tableName(className)
    const dir = this.app.appPath('Models')
    const path = join(dir, `${className}.ts`)
    const shown = relative(this.app.basePath, path)
    if (existsSync(path)) throw new CommandFailedError(`Model already exists: ${shown}.`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path, renderStub('model', { className, table }), { flag: 'wx' })
    this.output.info(`Model [${shown}] created successfully.`)
    if (this.input.boolean('migration')) {
      const file = writeMigrationFile(this.app.databasePath('migrations'), `create_${table}_table`, renderStub('migration.create', { table }))
      this.output.info(`Migration [${relative(this.app.basePath, file)}] created successfully.`)
    }
  }
}

/** Eloquent's default table: the snake_case plural of the class name (`BlogPost` -> `blog_posts`). */
export function tableName(className: string): string {
  const words = className.split(/(?<=[a-z0-9])(?=[A-Z])/).map((word) => word.toLowerCase())
  const last = words.pop() ?? ''
  return [...words, plural(last)].join('_')
}

function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`
  return `${word}s`
}

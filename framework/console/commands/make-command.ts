import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { assertClassName, commandNameFor } from '../class-name.ts'
import { Command } from '../command.ts'
import { CommandFailedError } from '../errors.ts'
import { renderStub } from '../stubs.ts'

export default class MakeCommandCommand extends Command {
  static override commandName = 'make:command'
  static override description = 'Create a new craft command'
  static override arguments = [{ name: 'name', description: 'The class name of the command (e.g. SendReport)', required: true }]
  static override options = [{ flags: '--command <name>', description: 'The command name to run it by (default: derived, SendReport -> report:send)' }]

  async handle() {
    const className = assertClassName(this.input.argument('name'), 'command')
    const commandName = this.input.string('command') ?? commandNameFor(className)
    const dir = this.app.appPath('Console', 'Commands')
    const path = `${dir}/${className}.ts`
    if (existsSync(path)) throw new CommandFailedError(`Command already exists: ${relative(this.app.basePath, path)}.`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path, renderStub('command', { className, commandName }), { flag: 'wx' })
    this.output.info(`Command [${relative(this.app.basePath, path)}] created successfully. Run it with: bin/craft ${commandName}`)
  }
}

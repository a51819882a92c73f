import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { assertClassName } from '../class-name.ts'
import { Command } from '../command.ts'
import { CommandFailedError, InvalidInputError } from '../errors.ts'
import { renderStub } from '../stubs.ts'

/** Names the stub imports; a mailable named like one would shadow it. */
const RESERVED = ['Mailable', 'QueuedMailable', 'Attachment', 'Content', 'Envelope']

export default class MakeMailCommand extends Command {
  static override commandName = 'make:mail'
  static override description = 'Create a new email class'
  static override arguments = [{ name: 'name', description: 'The class name of the mailable (e.g. WelcomeEmail)', required: true }]
  static override options = [{ flags: '--queued', description: 'Create a mailable that is always queued (extends QueuedMailable)' }]

  async handle() {
    const className = assertClassName(this.input.argument('name'), 'mailable')
    if (RESERVED.includes(className)) throw new InvalidInputError(`"${className}" is the name of a mail base class or type; choose another mailable name.`)
    const dir = this.app.appPath('Mail')
    const path = join(dir, `${className}.ts`)
    const shown = relative(this.app.basePath, path)
    if (existsSync(path)) throw new CommandFailedError(`Mailable already exists: ${shown}.`)
    mkdirSync(dir, { recursive: true })
    const base = this.input.boolean('queued') ? 'QueuedMailable' : 'Mailable'
    writeFileSync(path, renderStub('mail', { className, base, subject: headline(className) }), { flag: 'wx' })
    this.output.info(`Mailable [${shown}] created successfully.`)
  }
}

/** `WelcomeEmail` -> `Welcome Email` (Laravel's Str::headline, the default subject). */
function headline(className: string): string {
  return className.split(/(?<=[a-z0-9])(?=[A-Z])/).join(' ')
}

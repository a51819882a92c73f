import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { assertClassName } from '../class-name.ts'
import { Command } from '../command.ts'
import { CommandFailedError, InvalidInputError } from '../errors.ts'
import { renderStub } from '../stubs.ts'

export default class MakeJobCommand extends Command {
  static override commandName = 'make:job'
  static override description = 'Create a new job class'
  static override arguments = [{ name: 'name', description: 'The class name of the job (e.g. SendWelcomeEmail)', required: true }]
  static override options = [{ flags: '--sync', description: 'Indicates that the job should be synchronous (not queued)' }]

  async handle() {
    const className = assertClassName(this.input.argument('name'), 'job')
    // The stub imports these names; a job named like them would shadow its own base class.
    if (className === 'Job' || className === 'QueuedJob') throw new InvalidInputError(`"${className}" is the name of a base class; choose another job name.`)
    const dir = this.app.appPath('Jobs')
    const path = join(dir, `${className}.ts`)
    const shown = relative(this.app.basePath, path)
    if (existsSync(path)) throw new CommandFailedError(`Job already exists: ${shown}.`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path, renderStub('job', { className, base: this.input.boolean('sync') ? 'Job' : 'QueuedJob' }), { flag: 'wx' })
    this.output.info(`Job [${shown}] created successfully.`)
  }
}

import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { Application } from '../../foundation/application.ts'
import { Command } from '../command.ts'
import { CommandFailedError } from '../errors.ts'
import { confirmToProceed } from './migrate.ts'

/** What a file of database/seeders default-exports: a class whose `run()` fills the database. */
export interface Seeder {
  run(app: Application): Promise<void> | void
}

type SeederClass = new () => Seeder

export default class DbSeedCommand extends Command {
  static override commandName = 'db:seed'
  static override description = 'Seed the database with records'
  static override options = [
    { flags: '--class <class>', description: 'The class name of the root seeder (database/seeders/<class>.ts)' },
    { flags: '--force', description: 'Force the operation to run when in production' },
  ]

  async handle() {
    confirmToProceed(this.app, this.input, 'db:seed')
    const name = this.input.string('class') ?? 'DatabaseSeeder'
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CommandFailedError(`"${name}" is not a seeder class name. Pass a name such as --class=UserSeeder.`)
    const seeder = await loadSeeder(this.app, name)
    this.output.info('Seeding database.')
    const started = performance.now()
    await new seeder().run(this.app)
    this.output.twoColumn(name, `${(performance.now() - started).toFixed(2)}ms DONE`)
  }
}

async function loadSeeder(app: Application, name: string): Promise<SeederClass> {
  const path = app.path('database', 'seeders', `${name}.ts`)
  if (!existsSync(path)) throw new CommandFailedError(`Seeder "${name}" was not found (looked for ${path}). Create it with a default-exported class that has run().`)
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  const seeder = module.default
  if (typeof seeder !== 'function' || typeof (seeder as { prototype?: { run?: unknown } }).prototype?.run !== 'function') {
    throw new CommandFailedError(`${path} must default-export a class with a run() method.`)
  }
  return seeder as SeederClass
}

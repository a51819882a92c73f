import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isCommandClass, type CommandClass } from './command.ts'
import { InvalidCommandError } from './errors.ts'

const frameworkCommandsDir = join(import.meta.dirname, 'commands')

/**
 * Finds the framework's commands and the app's (`app/Console/Commands`). A command file's default
 * export is its class. Command files import only light modules at top level, so loading them all for
 * `craft list` stays cheap.
 */
export async function discoverCommands(basePath: string): Promise<CommandClass[]> {
  const framework = await loadDir(frameworkCommandsDir, basePath)
  const app = await loadDir(join(basePath, 'app', 'Console', 'Commands'), basePath)
  return [...framework, ...app]
}

async function loadDir(dir: string, basePath: string): Promise<CommandClass[]> {
  if (!existsSync(dir)) return []
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts'))
    .sort()
  return Promise.all(
    files.map(async (file) => {
      const path = join(dir, file)
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
      if (!isCommandClass(module.default)) {
        throw new InvalidCommandError(relative(basePath, path) || path, 'its default export must be a class extending Command with a static commandName.')
      }
      return module.default
    }),
  )
}

import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { KilnError } from '../support/errors.ts'
import { Container } from './container.ts'
import { deepMerge, type ConfigOverrides, type KilnConfig } from './config.ts'
import { loadEnvFile } from './env.ts'
import type { Services } from './services.ts'

export interface ApplicationOptions {
  /** The app's root: the folder holding config/, app/, database/, storage/. */
  basePath: string
  /** Overrides merged over the loaded config files (tests, one-off tools). */
  config?: ConfigOverrides
  /** Load `<basePath>/.env` into process.env (variables already set win). Default true. */
  loadEnv?: boolean
}

export class NoApplicationError extends KilnError {
  constructor() {
    super('E_NO_APPLICATION', 'No Kiln application is running. Create one with `await Application.create({ basePath })` first.')
  }
}

export class MissingConfigError extends KilnError {
  constructor(key: string, path: string) {
    super('E_MISSING_CONFIG', `The config file "${key}" was not found (looked for ${path}). Restore it from the skeleton.`)
  }
}

let current: Application | undefined

/**
 * One Kiln application: paths, config, and the lazily built services. Created once per process (or per
 * test) and shut down when done, which closes whatever it opened.
 */
export class Application extends Container<Services> {
  readonly basePath: string
  private readonly configValues: Partial<KilnConfig>
  private shuttingDown: Promise<void> | undefined

  private constructor(basePath: string, config: Partial<KilnConfig>) {
    super()
    this.basePath = basePath
    this.configValues = config
  }

  static async create(options: ApplicationOptions): Promise<Application> {
    if (options.loadEnv !== false) loadEnvFile(join(options.basePath, '.env'))
    const loaded = await loadConfigFiles(join(options.basePath, 'config'))
    const app = new Application(resolve(options.basePath), deepMerge(loaded, options.config ?? {}))
    // Imported here, not at the top: providers reach modules (jobs, mail) that themselves import
    // Application, and a top-level import would make that a cycle.
    const { frameworkProviders } = await import('./providers.ts')
    for (const provider of frameworkProviders) provider.register(app)
    current = app
    return app
  }

  /** The application of this process; static helpers such as `Job.dispatch()` go through it. */
  static current(): Application {
    if (!current) throw new NoApplicationError()
    return current
  }

  static hasCurrent(): boolean {
    return current !== undefined
  }

  /**
   * Makes this the process's current application again. Only for processes that hold several at once
   * (the soak opens one per backend and short-lived ones beside it); creating an app makes it current.
   */
  static makeCurrent(app: Application): void {
    current = app
  }

  config<K extends keyof KilnConfig>(key: K): KilnConfig[K] {
    const value = this.configValues[key]
    if (value === undefined) throw new MissingConfigError(key, this.configPath(`${key}.ts`))
    return value
  }

  path(...parts: string[]): string {
    return join(this.basePath, ...parts)
  }

  appPath(...parts: string[]): string {
    return join(this.basePath, 'app', ...parts)
  }

  configPath(...parts: string[]): string {
    return join(this.basePath, 'config', ...parts)
  }

  databasePath(...parts: string[]): string {
    return join(this.basePath, 'database', ...parts)
  }

  storagePath(...parts: string[]): string {
    return join(this.basePath, 'storage', ...parts)
  }

  /** Closes every service that was opened (database pools, Redis, servers). Safe to call twice. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.closeAll().finally(() => {
      if (current === this) current = undefined
    })
    return this.shuttingDown
  }
}

async function loadConfigFiles(dir: string): Promise<Partial<KilnConfig>> {
  const config: Record<string, unknown> = {}
  if (!existsSync(dir)) return config
  const files = readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  await Promise.all(
    files.map(async (file) => {
      const module = (await import(pathToFileURL(join(dir, file)).href)) as { default?: unknown }
      config[file.slice(0, -3)] = module.default
    }),
  )
  return config as Partial<KilnConfig>
}

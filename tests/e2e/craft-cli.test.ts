import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

const HEAVY_PACKAGES = ['knex', 'pg', 'mysql2', 'better-sqlite3', 'ioredis', 'fastify', 'pino', 'nodemailer']

function loadedPackages(stderr: string): string[] {
  const found = new Set<string>()
  for (const match of stderr.matchAll(/\[kiln:import\] \S*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)) found.add(match[1] ?? '')
  return [...found]
}

describe('craft with no argument', () => {
  it('lists commands grouped by namespace and exits 0', async () => {
    const result = await runCraft([])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Available commands:')
    expect(result.stdout).toMatch(/^ key\n {2}key:generate +Set the application key$/m)
    expect(result.stdout).toMatch(/^ make\n/m)
    expect(result.stdout).toMatch(/^ {2}about +Display basic information/m)
  })

  it('`list` loads no database, Redis, HTTP or logging library', async () => {
    const result = await runCraft(['list'], { env: { KILN_TRACE_IMPORTS: '1' } })
    expect(result.code).toBe(0)
    const loaded = loadedPackages(result.stderr)
    expect(loaded).toContain('commander')
    for (const heavy of HEAVY_PACKAGES) expect(loaded).not.toContain(heavy)
    // Commands import their layer lazily: listing them must not load the job pipeline.
    expect(result.stderr).not.toContain('framework/queue/worker/worker.ts')
  })
})

describe('help and mistakes', () => {
  it('`help <command>` and `<command> --help` show its usage', async () => {
    for (const args of [['help', 'key:generate'], ['key:generate', '--help']]) {
      const result = await runCraft(args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Usage: craft key:generate [options]')
      expect(result.stdout).toContain('--force')
    }
  })

  it('a mistyped command exits 1 with a suggestion', async () => {
    const result = await runCraft(['key:generat'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("unknown command 'key:generat'")
    expect(result.stderr).toContain('Did you mean key:generate?')
  })

  it('a wrong flag is named, exit 1', async () => {
    const result = await runCraft(['about', '--jsn'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("unknown option '--jsn'")
    expect(result.stderr).toContain('Did you mean --json?')
  })
})

describe('commands on a temp app', () => {
  let app: TempApp
  beforeAll(() => {
    app = makeTempApp()
  })
  afterAll(() => app.cleanup())

  it('make:command creates a command that is discovered and runs by its signature', async () => {
    const made = await runCraft(['make:command', 'SendReport'], { basePath: app.basePath })
    expect(made.code).toBe(0)
    expect(existsSync(app.path('app/Console/Commands/SendReport.ts'))).toBe(true)

    const listed = await runCraft(['list'], { basePath: app.basePath })
    expect(listed.stdout).toMatch(/^ {2}report:send +Command description$/m)

    const ran = await runCraft(['report:send'], { basePath: app.basePath })
    expect(ran.code).toBe(0)
    expect(ran.stdout).toContain('report:send ran.')

    const again = await runCraft(['make:command', 'SendReport'], { basePath: app.basePath })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')
  })

  it('make:command refuses names that are not class names', async () => {
    for (const name of ['../Evil', 'lowercase', 'Has Space']) {
      const result = await runCraft(['make:command', name], { basePath: app.basePath })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('is not a valid command class name')
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('key:generate fills APP_KEY, refuses to replace it without --force', async () => {
    writeFileSync(app.path('.env'), 'APP_NAME=Temp\nAPP_KEY=\n')
    const first = await runCraft(['key:generate'], { basePath: app.basePath, env: { APP_KEY: undefined } })
    expect(first.code).toBe(0)
    const key = /^APP_KEY=(base64:.+)$/m.exec(readFileSync(app.path('.env'), 'utf8'))?.[1]
    expect(Buffer.from(key!.slice('base64:'.length), 'base64')).toHaveLength(32)

    const second = await runCraft(['key:generate'], { basePath: app.basePath })
    expect(second.code).toBe(1)
    expect(readFileSync(app.path('.env'), 'utf8')).toContain(key)

    const forced = await runCraft(['key:generate', '--force'], { basePath: app.basePath })
    expect(forced.code).toBe(0)
    expect(readFileSync(app.path('.env'), 'utf8')).not.toContain(key)
  })

  it('about reports drivers from config without opening a connection', async () => {
    const result = await runCraft(['about', '--json'], { basePath: app.basePath, env: { DB_CONNECTION: 'pgsql', QUEUE_CONNECTION: 'redis', KILN_TRACE_IMPORTS: '1' } })
    expect(result.code).toBe(0)
    const about = JSON.parse(result.stdout) as { drivers: Record<string, string>; environment: Record<string, string> }
    expect(about.drivers.Database).toBe('pgsql (pgsql)')
    expect(about.drivers.Queue).toBe('redis (redis)')
    expect(about.environment['Node Version']).toBe(process.versions.node)
    for (const heavy of ['knex', 'pg', 'ioredis']) expect(loadedPackages(result.stderr)).not.toContain(heavy)
  })

  it('about says whether payloads are signed', async () => {
    const signing = async (key: string) => {
      const result = await runCraft(['about', '--json'], { basePath: app.basePath, env: { APP_KEY: key } })
      return (JSON.parse(result.stdout) as { environment: Record<string, string> }).environment['Payload Signing']
    }
    expect(await signing('')).toBe('OFF (no APP_KEY)')
    expect(await signing(`base64:${Buffer.alloc(32, 7).toString('base64')}`)).toBe('ON')
  })

  it('an unexpected error prints its message without a stack trace', async () => {
    writeFileSync(app.path('app/Console/Commands/Boom.ts'), "import { Command } from '#kiln/console/command'\nexport default class Boom extends Command {\n  static override commandName = 'boom'\n  async handle() { throw new TypeError('kaput') }\n}\n")
    const result = await runCraft(['boom'], { basePath: app.basePath, env: { APP_DEBUG: 'false' } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('TypeError: kaput')
    expect(result.stderr).not.toMatch(/\n\s+at /)
    const debug = await runCraft(['boom'], { basePath: app.basePath, env: { APP_DEBUG: 'true' } })
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})

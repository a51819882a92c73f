/**
 * `craft migrate*` and `make:migration` as a user runs them: bin/craft in a child process, the database
 * chosen through env variables (which win over any .env), asserting on output and exit codes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot, runCraft, type CraftResult } from '../support/craft.ts'
import { availableEngines, createTestDatabase, type SqlEngine, type TestDatabase } from '../support/services.ts'

const engines = await availableEngines()
const USERS = '0001_01_01_000000_create_users_table'
const dottedDone = (name: string) => new RegExp(`^  ${name} \\.+ [\\d.]+ms DONE$`, 'm')
const baseEnv = { APP_ENV: 'local', APP_DEBUG: 'false', DB_URL: '' }

/** Env that points craft at a test database. */
function envFor(database: TestDatabase): Record<string, string> {
  const config = database.config
  if (config.driver === 'sqlite') return { ...baseEnv, DB_CONNECTION: 'sqlite', DB_DATABASE_SQLITE: config.database }
  return {
    ...baseEnv,
    DB_CONNECTION: config.driver,
    DB_HOST: config.host,
    DB_PORT: String(config.port),
    DB_DATABASE: config.database,
    DB_USERNAME: config.username,
    DB_PASSWORD: config.password,
  }
}

function expectNoStackTrace(result: CraftResult) {
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at .+[(:]\d+/m)
}

describe('migrate commands on sqlite', () => {
  let database: TestDatabase
  let env: Record<string, string>
  const craft = (...args: string[]) => runCraft(args, { env })

  beforeEach(async () => {
    database = await createTestDatabase('sqlite')
    env = envFor(database)
  })

  afterEach(async () => {
    await database.drop()
  })

  it('migrate prepares the table, runs the users migration once, then has nothing to migrate', { timeout: 60_000 }, async () => {
    const first = await craft('migrate')
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('INFO  Preparing database.')
    expect(first.stdout).toMatch(/^ {2}Creating migration table \.+ [\d.]+ms DONE$/m)
    expect(first.stdout).toContain('INFO  Running migrations.')
    expect(first.stdout).toMatch(dottedDone(USERS))

    const second = await craft('migrate')
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('INFO  Nothing to migrate.')
    expect(second.stdout).not.toContain(USERS)
  })

  it('migrate:status says the table is missing, then lists each file as ran with its batch or pending', { timeout: 60_000 }, async () => {
    const before = await craft('migrate:status')
    expect(before.code).toBe(1)
    expect(before.stderr).toContain('Migration table not found.')

    await craft('migrate')
    const after = await craft('migrate:status')
    expect(after.code).toBe(0)
    expect(after.stdout).toMatch(/^ {2}Migration name \.+ Batch \/ Status$/m)
    expect(after.stdout).toMatch(new RegExp(`^  ${USERS} \\.+ \\[1\\] Ran$`, 'm'))

    const reset = await craft('migrate:reset')
    expect(reset.code).toBe(0)
    expect(reset.stdout).toMatch(dottedDone(USERS))
    expect((await craft('migrate:status')).stdout).toMatch(new RegExp(`^  ${USERS} \\.+ Pending$`, 'm'))
  })

  it('migrate:rollback undoes the last batch, then has nothing to roll back', { timeout: 60_000 }, async () => {
    await craft('migrate')
    const rollback = await craft('migrate:rollback')
    expect(rollback.code).toBe(0)
    expect(rollback.stdout).toContain('INFO  Rolling back migrations.')
    expect(rollback.stdout).toMatch(dottedDone(USERS))

    const again = await craft('migrate:rollback')
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('INFO  Nothing to rollback.')
  })

  it('migrate:fresh drops all tables and migrates again', { timeout: 60_000 }, async () => {
    await craft('migrate')
    const fresh = await craft('migrate:fresh')
    expect(fresh.code).toBe(0)
    expect(fresh.stdout).toMatch(/^ {2}Dropping all tables \.+ [\d.]+ms DONE$/m)
    expect(fresh.stdout).toMatch(dottedDone(USERS))
    expect((await craft('migrate:status')).stdout).toMatch(new RegExp(`^  ${USERS} \\.+ \\[1\\] Ran$`, 'm'))
  })

  it('migrate:refresh rolls everything back and migrates again; db:wipe drops every table', { timeout: 60_000 }, async () => {
    await craft('migrate')
    const refresh = await craft('migrate:refresh')
    expect(refresh.code).toBe(0)
    expect(refresh.stdout).toMatch(/INFO {2}Rolling back migrations\.[\s\S]*INFO {2}Running migrations\./)
    expect(refresh.stdout.match(new RegExp(dottedDone(USERS).source, 'gm'))).toHaveLength(2)

    const wipe = await craft('db:wipe')
    expect(wipe.code).toBe(0)
    expect(wipe.stdout).toContain('Dropped all tables successfully')
    expect((await craft('migrate:status')).stderr).toContain('Migration table not found.')
  })

  it('migrate --pretend prints the SQL and changes nothing', { timeout: 60_000 }, async () => {
    const pretend = await craft('migrate', '--pretend')
    expect(pretend.code).toBe(0)
    expect(pretend.stdout).toMatch(/create table `users`/)
    expect((await craft('migrate:status')).stderr).toContain('Migration table not found.')
  })

  it('in production, changing the database needs --force', { timeout: 60_000 }, async () => {
    env = { ...env, APP_ENV: 'production' }
    const refused = await craft('migrate')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('--force')
    expect(refused.stdout).not.toContain(USERS)

    const forced = await craft('migrate', '--force')
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(dottedDone(USERS))
  })

  it('names a wrong flag and a bad flag value', { timeout: 60_000 }, async () => {
    const unknown = await craft('migrate', '--steps')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("'--steps'")

    const badValue = await craft('migrate:rollback', '--step=abc')
    expect(badValue.code).toBe(1)
    expect(badValue.stderr).toContain('--step')
    expectNoStackTrace(badValue)
  })

  it('an unknown --database connection lists the configured ones', { timeout: 60_000 }, async () => {
    const result = await craft('migrate', '--database=oracle')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"oracle"')
    expect(result.stderr).toContain('sqlite')
    expectNoStackTrace(result)
  })
})

describe('an unreachable database', () => {
  it.each(['pgsql', 'mysql'])('DB_CONNECTION=%s with nothing listening fails in one readable line, exit 1', { timeout: 60_000 }, async (connection) => {
    const result = await runCraft(['migrate'], { env: { ...baseEnv, DB_CONNECTION: connection, DB_HOST: '127.0.0.1', DB_PORT: '1' } })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('ERROR')
    expect(result.stderr).toContain(`"${connection}"`)
    expect(result.stderr).toContain('127.0.0.1:1')
    expectNoStackTrace(result)
  })
})

describe.each(engines.filter((engine): engine is Exclude<SqlEngine, 'sqlite'> => engine !== 'sqlite'))('migrate commands on %s', (engine) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(engine)
  })

  afterAll(async () => {
    await database?.drop()
  })

  it('migrate, status, fresh and rollback through DB_CONNECTION and DB_* variables', { timeout: 90_000 }, async () => {
    const craft = (...args: string[]) => runCraft(args, { env: envFor(database) })
    const migrate = await craft('migrate')
    expect(migrate.stderr).toBe('')
    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toMatch(dottedDone(USERS))
    expect((await craft('migrate')).stdout).toContain('Nothing to migrate.')
    expect((await craft('migrate:status')).stdout).toMatch(new RegExp(`^  ${USERS} \\.+ \\[1\\] Ran$`, 'm'))

    const fresh = await craft('migrate:fresh')
    expect(fresh.code).toBe(0)
    expect(fresh.stdout).toMatch(/Dropping all tables \.+ [\d.]+ms DONE/)
    expect(fresh.stdout).toMatch(dottedDone(USERS))

    const rollback = await craft('migrate:rollback')
    expect(rollback.code).toBe(0)
    expect(rollback.stdout).toMatch(dottedDone(USERS))
    expect((await craft('migrate:status')).stdout).toMatch(new RegExp(`^  ${USERS} \\.+ Pending$`, 'm'))
  })
})

describe('make:migration', () => {
  const migrationsDir = join(repoRoot, 'database', 'migrations')
  // A scratch folder inside the app, so generated files resolve `#kiln/...` like a user's would.
  let scratch: string
  let relativeScratch: string
  let database: TestDatabase
  const created: string[] = []

  beforeEach(async () => {
    scratch = mkdtempSync(join(repoRoot, 'storage', 'framework', 'kiln-make-migration-'))
    relativeScratch = scratch.slice(repoRoot.length).replace(/^\//, '')
    database = await createTestDatabase('sqlite')
  })

  afterEach(async () => {
    for (const file of created.splice(0)) rmSync(file, { force: true })
    rmSync(scratch, { recursive: true, force: true })
    await database.drop()
  })

  const newFiles = (dir: string, before: string[]) => readdirSync(dir).filter((file) => !before.includes(file))

  it('creates a timestamped file in database/migrations from the create stub', { timeout: 60_000 }, async () => {
    const before = readdirSync(migrationsDir)
    const result = await runCraft(['make:migration', 'create_flights_table'], { env: baseEnv })
    const files = newFiles(migrationsDir, before)
    created.push(...files.map((file) => join(migrationsDir, file)))
    expect(result.code).toBe(0)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^\d{4}_\d{2}_\d{2}_\d{6}_create_flights_table\.ts$/)
    expect(result.stdout).toContain(`INFO  Migration [database/migrations/${files[0]}] created successfully.`)
    const contents = readFileSync(join(migrationsDir, files[0] ?? ''), 'utf8')
    expect(contents).toContain("createTable('flights'")
    expect(contents).toContain("dropTableIfExists('flights')")
  })

  it('generates files that migrate: create, change (--table) and blank stubs', { timeout: 90_000 }, async () => {
    const env = { ...envFor(database) }
    const make = (...args: string[]) => runCraft(['make:migration', ...args, `--path=${relativeScratch}`], { env })
    expect((await make('CreateFlightsTable')).code).toBe(0)
    // Files made in the same second sort by name; wait so that add_seats runs after create_flights.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await make('add_seats_to_flights_table')).code).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await make('tweak_things', '--table=flights')).code).toBe(0)
    expect((await make('backfill_data')).code).toBe(0)

    const files = readdirSync(scratch).sort()
    expect(files.map((file) => file.slice(18))).toEqual([
      'create_flights_table.ts',
      'add_seats_to_flights_table.ts',
      expect.stringMatching(/^(backfill_data|tweak_things)\.ts$/),
      expect.stringMatching(/^(backfill_data|tweak_things)\.ts$/),
    ])
    expect(readFileSync(join(scratch, files[1] ?? ''), 'utf8')).toContain("alterTable('flights'")

    const migrate = await runCraft(['migrate', `--path=${relativeScratch}`], { env })
    expect(migrate.stderr).toBe('')
    expect(migrate.code).toBe(0)
    for (const file of files) expect(migrate.stdout).toMatch(dottedDone(file.replace(/\.ts$/, '')))
  })

  it('refuses a name that is not a plain identifier, and a second migration with the same name', { timeout: 60_000 }, async () => {
    for (const name of ['1bad', '../x', 'drop-users']) {
      const result = await runCraft(['make:migration', name, `--path=${relativeScratch}`], { env: baseEnv })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('not a valid migration name')
      expectNoStackTrace(result)
    }
    expect(readdirSync(scratch)).toEqual([])
    expect(existsSync(join(repoRoot, 'x.ts'))).toBe(false)

    expect((await runCraft(['make:migration', 'create_pilots_table', `--path=${relativeScratch}`], { env: baseEnv })).code).toBe(0)
    const again = await runCraft(['make:migration', 'create_pilots_table', `--path=${relativeScratch}`], { env: baseEnv })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')
    expect(readdirSync(scratch)).toHaveLength(1)
  })

  it('needs a name', { timeout: 60_000 }, async () => {
    const result = await runCraft(['make:migration'], { env: baseEnv })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("missing required argument 'name'")
  })
})

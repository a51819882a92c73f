import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../framework/model/model-registry.ts'
import { runCraft } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'
import { typeErrors } from '../support/typecheck.ts'

let app: TempApp
const craft = (...args: string[]) => runCraft(args, { basePath: app.basePath })
const modelPath = (name: string) => app.path('app', 'Models', `${name}.ts`)

beforeAll(() => {
  app = makeTempApp()
})
afterAll(() => app?.cleanup())

describe('craft make:model', () => {
  it('writes app/Models/<Name>.ts with its attributes interface and the snake_case plural table', async () => {
    const result = await craft('make:model', 'BlogPost')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Model [app/Models/BlogPost.ts] created successfully.')
    const source = readFileSync(modelPath('BlogPost'), 'utf8')
    expect(source).toContain("import { Model } from '#kiln/model/model'")
    expect(source).toContain('export interface BlogPostAttributes {')
    expect(source).toContain('export class BlogPost extends Model<BlogPostAttributes> {')
    expect(source).toContain("static override table = 'blog_posts'")
  })

  it.each([
    ['Category', 'categories'],
    ['Address', 'addresses'],
    ['Day', 'days'],
  ])('names the table of %s %s', async (name, table) => {
    expect((await craft('make:model', name)).code).toBe(0)
    expect(readFileSync(modelPath(name), 'utf8')).toContain(`static override table = '${table}'`)
  })

  it('-m also writes the create-table migration', async () => {
    const result = await craft('make:model', 'Flight', '-m')
    expect(result.code).toBe(0)
    const migrations = readdirSync(app.path('database', 'migrations')).filter((file) => file.endsWith('_create_flights_table.ts'))
    expect(migrations).toHaveLength(1)
    expect(result.stdout).toContain(`Migration [database/migrations/${migrations[0]}] created successfully.`)
    expect(readFileSync(app.path('database', 'migrations', migrations[0]!), 'utf8')).toContain("createTable('flights'")
  })

  it('the generated models typecheck and are discovered by the model registry', async () => {
    const control = app.path('control-model.ts')
    writeFileSync(control, readFileSync(modelPath('BlogPost'), 'utf8').replace(/BlogPost/g, 'Control').replace("table = 'blog_posts'", 'table = 42'))
    const errors = await typeErrors([modelPath('BlogPost'), modelPath('Flight'), control])
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((error) => error.startsWith(control))).toBe(true)
    const registry = new ModelRegistry()
    expect((await registry.discover(app.path('app', 'Models'))).sort()).toEqual(['Address', 'BlogPost', 'Category', 'Day', 'Flight'])
  }, 60_000)

  it('refuses to overwrite an existing model; rejects invalid names (exit 1)', async () => {
    writeFileSync(modelPath('BlogPost'), '// mine\n')
    const result = await craft('make:model', 'BlogPost')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('already exists')
    expect(readFileSync(modelPath('BlogPost'), 'utf8')).toBe('// mine\n')
    for (const name of ['blog_post', '../Evil', 'Model']) {
      const bad = await craft('make:model', name)
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/class name|base class/)
    }
    expect(existsSync(app.path('app', 'Evil.ts'))).toBe(false)
  })
})

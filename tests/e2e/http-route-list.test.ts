import { mkdirSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runCraft } from '../support/craft.ts'
import { makeTempApp } from '../support/temp-app.ts'

describe('craft route:list', () => {
  it('lists the routes of routes/api.ts like artisan route:list', async () => {
    const result = await runCraft(['route:list'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/ {2}GET\|HEAD +health \.+ health › HealthController@show/)
    expect(result.stdout).toMatch(/Showing \[\d+\] routes/)
  })

  it('prints JSON with --json', async () => {
    const result = await runCraft(['route:list', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toContainEqual({ method: 'GET|HEAD', uri: 'health', name: 'health', action: 'HealthController@show' })
  })

  it('fails with exit code 1 when a filter matches nothing', async () => {
    const result = await runCraft(['route:list', '--path', 'no-such-route-anywhere'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("doesn't have any routes matching")
  })
})

describe('a broken routes/api.ts', () => {
  it('makes route:list and serve fail with exit code 1 and say how to fix it', async () => {
    const temp = makeTempApp()
    try {
      mkdirSync(temp.path('routes'), { recursive: true })
      writeFileSync(temp.path('routes', 'api.ts'), 'export default function routes() {}\n')
      for (const args of [['route:list'], ['serve', '--port', '0']]) {
        const result = await runCraft(args, { basePath: temp.basePath, env: { APP_DEBUG: 'false' } })
        expect(result.code).toBe(1)
        expect(result.stderr).toContain('must default-export defineRoutes(')
      }
    } finally {
      temp.cleanup()
    }
  })
})

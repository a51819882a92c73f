import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCraft, spawnCraft, waitForOutput, type CraftOptions } from '../support/craft.ts'
import { makeTempApp, type TempApp } from '../support/temp-app.ts'

// `craft serve` as a user runs it: a real process on a real port, real HTTP requests, real signals.
const env = { APP_DEBUG: 'false', LOG_CHANNEL: 'stdout', LOG_LEVEL: 'warn' }
const children: ChildProcess[] = []

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

async function serve(args: string[] = [], options: CraftOptions = { env }): Promise<{ child: ChildProcess; url: string; output: string }> {
  const child = spawnCraft(['serve', '--port', '0', ...args], options)
  children.push(child)
  const output = await waitForOutput(child, /Press Ctrl\+C to stop the server/)
  const url = /Server running on \[(http:\/\/[^\]]+)\]\./.exec(output)![1]!
  return { child, url, output }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit')
  child.kill(signal)
  const [code] = (await exited) as [number | null]
  return code
}

describe('craft serve', () => {
  it('serves the health route and 404 JSON, and exits 0 on SIGTERM', async () => {
    const { child, url, output } = await serve()
    expect(output).toContain('INFO  Server running on [http://127.0.0.1:')
    expect(output).toContain('Press Ctrl+C to stop the server')

    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', app: expect.any(String) })

    const missing = await fetch(`${url}/does-not-exist`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toContain('application/json')
    expect(await missing.json()).toEqual({ message: 'Not Found' })

    expect(await stop(child, 'SIGTERM')).toBe(0)
  })

  it('stops gracefully on Ctrl+C (SIGINT) with exit code 0', async () => {
    const { child, url } = await serve()
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect(await stop(child, 'SIGINT')).toBe(0)
  })

  it('binds the --host it is given', async () => {
    const { child, url } = await serve(['--host', '127.0.0.1'])
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await stop(child, 'SIGTERM')).toBe(0)
  })

  it('fails with exit code 1 and a clear message when the port is taken', async () => {
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const port = (blocker.address() as { port: number }).port
      const result = await runCraft(['serve', '--port', String(port)], { env })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`Failed to listen on 127.0.0.1:${port}`)
      expect(result.stderr).toContain('--port')
      expect(result.stderr).not.toMatch(/\n\s+at /)
    } finally {
      blocker.close()
    }
  })

  it('refuses a port that is not a number', async () => {
    const result = await runCraft(['serve', '--port', 'abc'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--port')
  })
})

describe('craft serve with an app of its own (KILN_BASE_PATH)', () => {
  // A temp app serving tests/fixtures/http/routes.ts, to see validation and errors over real HTTP.
  let temp: TempApp
  beforeAll(() => {
    temp = makeTempApp()
    mkdirSync(temp.path('routes'), { recursive: true })
    writeFileSync(temp.path('routes', 'api.ts'), "export { default } from '../../../fixtures/http/routes.ts'\n")
  })
  afterAll(() => temp?.cleanup())

  it('answers 422 for invalid input and hides errors unless APP_DEBUG=true', async () => {
    const quiet = await serve([], { env, basePath: temp.basePath })
    const invalid = await fetch(`${quiet.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nope' }) })
    expect(invalid.status).toBe(422)
    expect(await invalid.json()).toMatchObject({
      message: 'The email field must be a valid email address. (and 2 more errors)',
      errors: { email: ['The email field must be a valid email address.'], name: ['The name field is required.'] },
    })
    const hidden = await fetch(`${quiet.url}/boom`)
    expect(hidden.status).toBe(500)
    expect(await hidden.json()).toEqual({ message: 'Server Error' })
    expect(await stop(quiet.child, 'SIGTERM')).toBe(0)

    const debug = await serve([], { env: { ...env, APP_DEBUG: 'true' }, basePath: temp.basePath })
    const shown = await fetch(`${debug.url}/boom`)
    expect(shown.status).toBe(500)
    expect(await shown.json()).toMatchObject({ message: 'kaboom', exception: 'Error', trace: expect.any(Array) })
    expect(await stop(debug.child, 'SIGTERM')).toBe(0)
  })

  it('lets an in-flight request finish when stopped with SIGTERM', async () => {
    const { child, url } = await serve([], { env, basePath: temp.basePath })
    const pending = fetch(`${url}/slow`)
    await waitForOutput(child, /slow request started/)
    const exited = stop(child, 'SIGTERM')
    const response = await pending
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ done: true })
    expect(await exited).toBe(0)
  })
})

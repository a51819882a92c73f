/**
 * The producer role of the soak: HTTP clients hammering the fixture app's `POST /jobs` (served by a real
 * `craft serve`) and the `craft soak:dispatch` CLI, each recording what it was told (status, latency,
 * body) so a scenario can hold the answers against the jobs later found in the ledger.
 */
import type { ChildProcess } from 'node:child_process'
import { runCraft, spawnCraft, waitForOutput } from '../tests/support/craft.ts'
import { soakApp } from './backends.ts'

export interface Answer {
  key: string
  /** HTTP status; 0 when no answer came (connection error or the client's timeout). */
  status: number
  /** When the request was sent and how long the answer took (ms). */
  at: number
  ms: number
  /** The body was JSON with a string `message` (what a 503 must carry). */
  jsonMessage: boolean
  /** `Retry-After`, when sent. */
  retryAfter: string | null
  /** The body of a non-2xx answer (kept short), for the report. */
  body: string
}

export interface Server {
  url: string
  child: ChildProcess
  /** Everything the server printed, with when. */
  lines: { at: number; text: string }[]
  stop(): Promise<number | null>
}

/** Starts `craft serve --port 0` on the fixture app and waits for its URL. */
export async function serve(env: Record<string, string>): Promise<Server> {
  const child = spawnCraft(['serve', '--port', '0'], { basePath: soakApp, env })
  const lines: Server['lines'] = []
  const note = (chunk: Buffer | string) => {
    const at = Date.now()
    for (const text of chunk.toString().split('\n')) if (text.trim() !== '' && lines.length < 100_000) lines.push({ at, text: text.trim() })
  }
  child.stdout?.on('data', note)
  child.stderr?.on('data', note)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const output = await waitForOutput(child, /Server running on \[(http:\/\/[^\]]+)\]/, 60_000)
  const url = /Server running on \[(http:\/\/[^\]]+)\]/.exec(output)?.[1] as string
  return {
    url,
    child,
    lines,
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/**
 * `loops` clients, each sending `POST /jobs {key}` one after the other (pausing `pauseMs` between) with
 * keys `<prefix><loop>-<n>`, until stop() is called. Every answer is recorded.
 */
export function produceOverHttp(url: string, options: { loops: number; pauseMs: number; prefix: string; timeoutMs: number }): { answers: Answer[]; stop(): Promise<void> } {
  const answers: Answer[] = []
  let running = true
  const loop = async (loopId: number) => {
    for (let n = 0; running; n++) {
      answers.push(await post(url, `${options.prefix}${loopId}-${n}`, options.timeoutMs))
      if (options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
    }
  }
  const all = Promise.all(Array.from({ length: options.loops }, (_, i) => loop(i)))
  return {
    answers,
    async stop() {
      running = false
      await all
    },
  }
}

async function post(url: string, key: string, timeoutMs: number): Promise<Answer> {
  const at = Date.now()
  try {
    const response = await fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    const ok = response.status >= 200 && response.status < 300
    return { key, status: response.status, at, ms: Date.now() - at, jsonMessage: hasJsonMessage(response, text), retryAfter: response.headers.get('retry-after'), body: ok ? '' : text.slice(0, 300) }
  } catch (error) {
    return { key, status: 0, at, ms: Date.now() - at, jsonMessage: false, retryAfter: null, body: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}

function hasJsonMessage(response: Response, text: string): boolean {
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return false
  try {
    const body = JSON.parse(text) as unknown
    return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
  } catch {
    return false
  }
}

export interface CliRun {
  key: string
  code: number | null
  ms: number
  /** The non-empty lines printed (stdout and stderr). */
  lines: string[]
  stackTrace: boolean
}

/** Runs `craft soak:dispatch <key>` to completion. */
export async function produceOverCli(env: Record<string, string>, key: string): Promise<CliRun> {
  const began = Date.now()
  const run = await runCraft(['soak:dispatch', key], { basePath: soakApp, env, timeoutMs: 60_000 })
  const output = `${run.stdout}\n${run.stderr}`
  return {
    key,
    code: run.code,
    ms: Date.now() - began,
    lines: output
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    stackTrace: /\n\s+at \S/.test(output),
  }
}

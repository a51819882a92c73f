/**
 * Runs `bin/craft` as a user would: a real child process, its real output and exit code.
 * `env` is merged over the current environment; `basePath` sets KILN_BASE_PATH (a fixture app).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..')
export const craftBin = join(repoRoot, 'bin', 'craft')

export interface CraftOptions {
  cwd?: string
  env?: Record<string, string | undefined>
  basePath?: string
  /** Kill the process after this many ms (default 30 s) and report code null. */
  timeoutMs?: number
}

export interface CraftResult {
  stdout: string
  stderr: string
  code: number | null
  signal: NodeJS.Signals | null
}

function craftEnv(options: CraftOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env }
  if (options.basePath) env.KILN_BASE_PATH = options.basePath
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key]
  return env
}

/** Starts craft and returns the child, for long-running commands (serve, queue:work). */
export function spawnCraft(args: string[], options: CraftOptions = {}): ChildProcess {
  return spawn(process.execPath, [craftBin, ...args], { cwd: options.cwd ?? repoRoot, env: craftEnv(options), stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs craft to completion. */
export function runCraft(args: string[], options: CraftOptions = {}): Promise<CraftResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCraft(args, options)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ stdout, stderr, code, signal })
    })
  })
}

/** Resolves with the accumulated output once `pattern` appears on the child's stdout or stderr. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString()
      if (pattern.test(seen)) finish(() => resolve(seen))
    }
    const onExit = (code: number | null) => finish(() => reject(new Error(`craft exited (${code}) before ${pattern}; output:\n${seen}`)))
    const timer = setTimeout(() => finish(() => reject(new Error(`Timed out waiting for ${pattern}; output:\n${seen}`))), timeoutMs)
    const finish = (fn: () => void) => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      fn()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}

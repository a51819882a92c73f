/**
 * Runs one task in a fresh Node process (a "worker process" or a producer), so that every measured
 * worker starts cold and alone, as a deployed worker would, and its RSS is its own.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, TaskArgs, TaskResult } from './protocol.ts'
import type { TaskName } from './tasks.ts'

const loader = fileURLToPath(new URL('../framework/loader/register.mjs', import.meta.url))
const entry = fileURLToPath(new URL('./child.ts', import.meta.url))
/** The Node options bin/craft's shebang runs with (`queue:work` among them): Kiln's measured processes get the same, peers run on plain `node` as their users would. */
const craftNodeOptions = nodeOptionsOf(readFileSync(fileURLToPath(new URL('../bin/craft', import.meta.url)), 'utf8'))

export interface ChildHandle {
  /** Resolves when the task says it is ready (an idle worker), or with its result if it never says so. */
  ready: Promise<void>
  result: Promise<TaskResult>
  kill(): void
}

export class ChildTaskError extends Error {
  constructor(task: string, detail: string) {
    super(`bench task "${task}" failed: ${detail}`)
  }
}

/**
 * Starts `task` in a child process with `args`; it is killed if it outlives `timeoutMs`. `cpu` pins it
 * to that CPU (Linux `taskset`), for the placement suite.
 */
export function startChild(task: TaskName, args: TaskArgs, timeoutMs = 300_000, cpu?: number): ChildHandle {
  const options = task.startsWith('kiln.') ? craftNodeOptions : []
  const node = [process.execPath, ...options, '--import', loader, entry, task]
  const [command, ...commandArgs] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node]
  const child = spawn(command as string, commandArgs, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, KILN_BENCH_ARGS: JSON.stringify(args) },
  })
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  const result = new Promise<TaskResult>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => fail(`no result after ${timeoutMs} ms`), timeoutMs)
    const fail = (detail: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new ChildTaskError(task, detail))
    }
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') markReady()
      else if (message.type === 'error') fail(message.message)
      else if (!settled) {
        settled = true
        clearTimeout(timer)
        markReady()
        resolve(message.result)
      }
    })
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code}) before reporting a result`))
    child.on('error', (error) => fail(error.message))
  })
  // The orchestrator waits on `ready` only; a failure surfaces through `result`.
  result.catch(() => markReady())
  return { ready, result, kill: () => child.kill('SIGKILL') }
}

/** Runs `task` to completion in a child process (pinned to `cpu` if given) and returns its result. */
export function runChild(task: TaskName, args: TaskArgs, timeoutMs?: number, cpu?: number): Promise<TaskResult> {
  return startChild(task, args, timeoutMs, cpu).result
}

/** The options after `node` on a script's `#!/usr/bin/env -S node ...` line; none for a plain `#!/usr/bin/env node`. */
export function nodeOptionsOf(script: string): string[] {
  const shebang = script.split('\n', 1)[0] ?? ''
  const match = /^#!\S*env(?: -S)? node((?: \S+)*)\s*$/.exec(shebang)
  if (!match) throw new Error(`bin/craft does not start with a "#!/usr/bin/env [-S] node ..." line: ${shebang}`)
  return (match[1] ?? '').split(' ').filter(Boolean)
}

/**
 * The supervisor role (what systemd or supervisord does in production): starts real `craft queue:work`
 * processes, kills them on purpose, restarts the ones that die, and stops them at the end. It keeps each
 * worker's output and exit so scenarios can check exit codes, pids and stack traces.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnCraft } from '../tests/support/craft.ts'

export interface WorkerExit {
  code: number | null
  signal: NodeJS.Signals | null
  at: number
}

export interface WorkerProcess {
  pid: number
  child: ChildProcess
  startedAt: number
  /** The last 256 KiB of stdout (a long soak prints two lines per job). */
  stdout: string
  stderr: string
  /** When lines about failures appeared (FAIL, timed out, watchdog): attempt ends without a ledger row. */
  failLines: { at: number; line: string }[]
  /** A stack trace (`    at ...`) appeared on stdout. */
  stackOnStdout: boolean
  /** Set once the process has exited. */
  exit: WorkerExit | null
  exited: Promise<WorkerExit>
  /** Killed by the supervisor on purpose (not a crash). */
  killed: boolean
}

export interface SupervisorOptions {
  basePath: string
  env: Record<string, string>
  /** `queue:work` arguments (connection and flags). */
  args: string[]
  /** Start a replacement when a worker dies on its own (the supervisor restarting a crashed process). */
  respawn?: boolean
}

export class Supervisor {
  /** Every worker ever started, in order. */
  readonly all: WorkerProcess[] = []
  kills = 0
  lastKillAt = 0
  private closing = false

  constructor(private readonly options: SupervisorOptions) {}

  get live(): WorkerProcess[] {
    return this.all.filter((worker) => worker.exit === null)
  }

  /** Workers that died without being asked to (neither killed nor stopped by the supervisor). */
  get crashed(): WorkerProcess[] {
    return this.all.filter((worker) => worker.exit !== null && !worker.killed)
  }

  /** Starts `count` workers; `extraArgs` are appended to the supervisor's `queue:work` arguments. */
  start(count = 1, extraEnv: Record<string, string> = {}, extraArgs: string[] = []): WorkerProcess[] {
    return Array.from({ length: count }, () => this.spawn(extraEnv, extraArgs))
  }

  /** SIGKILLs a random live worker and starts its replacement at once; false when none is alive. */
  killRandom(): boolean {
    const live = this.live
    const victim = live[Math.floor(Math.random() * live.length)]
    if (!victim) return false
    victim.killed = true
    victim.child.kill('SIGKILL')
    this.kills++
    this.lastKillAt = Date.now()
    this.spawn()
    return true
  }

  /**
   * A rolling deploy: starts a replacement for every live worker, waits until they are working (or 15 s),
   * then SIGTERMs the old ones, which finish their jobs and exit.
   */
  async restartAll(): Promise<void> {
    const old = this.live
    const fresh = old.map(() => this.spawn())
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !fresh.every((worker) => worker.exit !== null || worker.stdout.includes('Processing jobs'))) await new Promise((resolve) => setTimeout(resolve, 50))
    for (const worker of old) {
      worker.killed = true
      worker.child.kill('SIGTERM')
    }
  }

  /** Sends `signal` to every live worker and waits for all to exit (SIGKILL after `graceMs`). */
  async stopAll(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<WorkerExit[]> {
    this.closing = true
    const live = this.live
    for (const worker of live) {
      worker.killed = true
      worker.child.kill(signal)
    }
    const timer = setTimeout(() => live.forEach((worker) => worker.child.kill('SIGKILL')), graceMs)
    try {
      return await Promise.all(live.map((worker) => worker.exited))
    } finally {
      clearTimeout(timer)
    }
  }

  /** Resolves when every live worker has exited on its own (e.g. after queue:restart). */
  async waitForExits(workers: WorkerProcess[], timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const all = Promise.all(workers.map((worker) => worker.exited)).then(() => true as const)
    try {
      return await Promise.race([all, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private spawn(extraEnv: Record<string, string> = {}, extraArgs: string[] = []): WorkerProcess {
    const child = spawnCraft(['queue:work', ...this.options.args, ...extraArgs], { basePath: this.options.basePath, env: { ...this.options.env, ...extraEnv } })
    let resolveExit: (exit: WorkerExit) => void = () => undefined
    const worker: WorkerProcess = {
      pid: child.pid ?? -1,
      child,
      startedAt: Date.now(),
      stdout: '',
      stderr: '',
      stackOnStdout: false,
      failLines: [],
      exit: null,
      exited: new Promise((resolve) => (resolveExit = resolve)),
      killed: false,
    }
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      noteFailLines(worker, chunk)
      const text = worker.stdout.slice(-200) + chunk
      if (STACK_LINE.test(text)) worker.stackOnStdout = true
      worker.stdout = (worker.stdout + chunk).slice(-KEEP_STDOUT)
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      noteFailLines(worker, chunk)
      worker.stderr = (worker.stderr + chunk).slice(-KEEP_STDOUT)
    })
    child.once('exit', (code, signal) => {
      worker.exit = { code, signal, at: Date.now() }
      resolveExit(worker.exit)
      if (this.options.respawn && !worker.killed && !this.closing) this.spawn(extraEnv, extraArgs)
    })
    this.all.push(worker)
    return worker
  }
}

const KEEP_STDOUT = 256 * 1024
const STACK_LINE = /\n\s+at \S/
const FAIL_LINE = /FAIL|timed out|watchdog/

function noteFailLines(worker: WorkerProcess, chunk: string): void {
  for (const line of chunk.split('\n')) if (FAIL_LINE.test(line)) worker.failLines.push({ at: Date.now(), line: line.trim() })
}

import { spawn, type ChildProcess } from 'node:child_process'
import type { Output } from './output.ts'

export interface ProcessSpec {
  name: string
  color: 'blue' | 'green' | 'yellow' | 'red' | 'gray'
  command: string
  args: string[]
}

/**
 * Runs several long-lived processes side by side with prefixed output (what `composer run dev` does
 * with concurrently). When one exits, or on SIGINT/SIGTERM, the others get SIGTERM; resolves with the
 * first non-zero exit code, or 0.
 */
export function runProcessGroup(specs: ProcessSpec[], output: Output, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const children = new Map<string, ChildProcess>()
    let exitCode = 0
    let stopping = false
    const stopAll = () => {
      stopping = true
      for (const child of children.values()) child.kill('SIGTERM')
    }
    const onSignal = () => stopAll()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)

    for (const spec of specs) {
      // Children write to a pipe, not the terminal; keep their log lines readable when we are on one.
      const env = output.colors ? { ...process.env, LOG_PRETTY: 'true' } : process.env
      const child = spawn(spec.command, spec.args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env })
      children.set(spec.name, child)
      const prefix = output.style(`[${spec.name}]`, spec.color)
      const pipe = (stream: NodeJS.ReadableStream) => {
        let buffer = ''
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => {
          buffer += chunk
          const lines = buffer.split('\n')
          buffer = lines.pop() ?? ''
          for (const line of lines) output.line(`${prefix} ${line}`)
        })
        stream.on('end', () => buffer && output.line(`${prefix} ${buffer}`))
      }
      if (child.stdout) pipe(child.stdout)
      if (child.stderr) pipe(child.stderr)
      child.on('exit', (code, signal) => {
        children.delete(spec.name)
        if (!stopping && code !== 0) output.line(`${prefix} exited with ${code ?? signal}`)
        if (code && code !== 0 && !stopping) exitCode = code
        if (!stopping) stopAll()
        if (children.size === 0) {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
          resolve(exitCode)
        }
      })
    }
  })
}

/**
 * Entry of a measurement child process: `node --import <kiln loader> bench/child.ts <task>`, with the
 * task's arguments as JSON in KILN_BENCH_ARGS. Reports over IPC, then exits so that no handle a
 * library left open can keep it alive.
 */
import type { ChildMessage, TaskArgs } from './protocol.ts'
import { loadTask } from './tasks.ts'

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    // Run by hand (no IPC channel): print what the orchestrator would have received.
    if (!process.send) return void process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve())
    process.send(message, undefined, {}, () => resolve())
  })
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? ''
  const args = JSON.parse(process.env.KILN_BENCH_ARGS ?? '{}') as TaskArgs
  try {
    const task = await loadTask(name)
    const result = await task(args, { ready: () => void send({ type: 'ready' }) })
    await send({ type: 'result', result })
    process.exit(0)
  } catch (error) {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    process.exit(1)
  }
}

await main()

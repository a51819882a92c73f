/**
 * Where the time of an awaited dispatch goes (issue 4's "enqueue one at a time"): Kiln and BullMQ enqueue
 * one job at a time into a redis-server of the bench's own, pinned to CPU 0, once from a producer on that
 * CPU and once from a producer on CPU 1. On one CPU a round trip is two context switches; across CPUs
 * each side wakes the other's idle CPU, which on a virtual machine (an inter-processor interrupt to a
 * halted vCPU) costs tens of microseconds that both libraries pay alike. The first row is the libraries'
 * own cost per dispatch; the second is the placement the redis suite mostly gets, where that wake-up
 * cost compresses the ratio. Diagnostic rows: the target is the redis suite's.
 */
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { missingServerBinary, startPrivateServer } from '../../soak/private-servers.ts'
import { runChild } from '../process.ts'
import type { Recorder } from '../recorder.ts'
import type { Section } from '../report.ts'
import type { SuiteOptions } from '../scenarios.ts'
import type { TaskName } from '../tasks.ts'

const SERVER_CPU = 0
const placements = [
  { key: 'same', cpu: SERVER_CPU, label: "producer on Redis's CPU" },
  { key: 'other', cpu: 1, label: 'producer on another CPU' },
] as const
const systems: { key: string; enqueue: TaskName }[] = [
  { key: 'kiln', enqueue: 'kiln.enqueue' },
  { key: 'bullmq', enqueue: 'bullmq.enqueue' },
]

export async function redisPlacementSuite(options: SuiteOptions, recorder: Recorder): Promise<Section[]> {
  const missing = unavailable()
  if (missing) return [{ title: `Redis placement: SKIPPED (${missing})`, rows: [], notes: [] }]
  // A server of the bench's own: pinning the shared one would change a system service. No AOF, as on the shared one.
  const server = await startPrivateServer('redis', { cpu: SERVER_CPU, appendonly: false })
  try {
    for (let r = 0; r < options.repeat; r++) {
      process.stderr.write(`Redis placement, repeat ${r + 1}/${options.repeat}\n`)
      const order = r % 2 === 0 ? systems : [...systems].reverse()
      for (const placement of placements) {
        for (const system of order) {
          await recorder.attempt(`placement ${placement.key} ${system.key} enqueue`, async () => {
            const target = { kind: 'redis' as const, host: server.host, port: server.port, prefix: `placement_${r}_${placement.key}_${system.key}` }
            const produced = await runChild(system.enqueue, { target, jobs: options.jobs }, undefined, placement.cpu)
            recorder.log(`${system.key} enqueue one at a time, ${placement.label}`, produced)
            recorder.add(`placement.${placement.key}.${system.key}`, produced.rate)
          })
        }
      }
    }
  } finally {
    await server.destroy()
  }
  return [
    {
      title: 'Redis placement: enqueue one at a time, Kiln vs BullMQ 5, by CPU placement',
      rows: placements.map((placement) => ({
        metric: `enqueue one at a time, ${placement.label}`,
        unit: 'jobs/s' as const,
        kiln: `placement.${placement.key}.kiln`,
        peer: { label: 'BullMQ add', key: `placement.${placement.key}.bullmq` },
      })),
      notes: [
        `${options.jobs.toLocaleString('en-US')} jobs per run, ${options.repeat} repeat(s): medians, ratio = median of the per-repeat ratios.`,
        `a redis-server of the bench's own pinned to CPU ${SERVER_CPU} (taskset), producers pinned to the CPU named; no target: the redis suite's row is the issue's.`,
      ],
    },
  ]
}

/** Why the suite cannot run here, or null: it needs two CPUs, taskset and redis-server. */
function unavailable(): string | null {
  if (availableParallelism() < 2) return 'needs two CPUs'
  if (spawnSync('taskset', ['--version']).status !== 0) return 'taskset not found'
  const missing = missingServerBinary('redis')
  return missing && `${missing} not found`
}

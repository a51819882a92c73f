/**
 * Every task a child process can run, by name. Modules are imported only in the child that runs them,
 * so a BullMQ worker process never loads graphile-worker or Kiln, and vice versa.
 */
import type { Task } from './protocol.ts'

const registry = {
  'graphile.enqueue': async () => (await import('./peers/graphile.ts')).enqueueOneByOne,
  'graphile.bulk': async () => (await import('./peers/graphile.ts')).enqueueBulk,
  'graphile.produce': async () => (await import('./peers/graphile.ts')).produceSpaced,
  'graphile.work': async () => (await import('./peers/graphile.ts')).work,
  'bullmq.enqueue': async () => (await import('./peers/bullmq.ts')).enqueueOneByOne,
  'bullmq.bulk': async () => (await import('./peers/bullmq.ts')).enqueueBulk,
  'bullmq.produce': async () => (await import('./peers/bullmq.ts')).produceSpaced,
  'bullmq.work': async () => (await import('./peers/bullmq.ts')).work,
  'raw.pg': async () => (await import('./peers/raw-pg.ts')).loop,
  'raw.mariadb': async () => (await import('./peers/raw-mariadb.ts')).loop,
  'raw.sqlite': async () => (await import('./peers/raw-sqlite.ts')).loop,
  'kiln.enqueue': async () => (await import('./kiln/producer.ts')).enqueueOneByOne,
  'kiln.bulk': async () => (await import('./kiln/producer.ts')).enqueueBulk,
  'kiln.produce': async () => (await import('./kiln/producer.ts')).produceSpaced,
  'kiln.work': async () => (await import('./kiln/worker.ts')).work,
} satisfies Record<string, () => Promise<Task>>

export type TaskName = keyof typeof registry

export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(registry, name)
}

export function loadTask(name: string): Promise<Task> {
  if (!isTaskName(name)) throw new Error(`unknown bench task "${name}"; known: ${Object.keys(registry).join(', ')}`)
  return registry[name]()
}

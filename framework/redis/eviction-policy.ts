import type { Redis } from 'ioredis'

/**
 * A warning when Redis may evict keys under memory pressure (any `maxmemory-policy` but `noeviction`):
 * an evicted queue key is a lost job. Null when the policy is safe or cannot be read. Reads INFO, which
 * managed services allow even where CONFIG is disabled.
 */
export async function checkEvictionPolicy(connection: Redis): Promise<string | null> {
  const policy = parseInfoField(await connection.info('memory'), 'maxmemory_policy')
  if (policy === null || policy === 'noeviction') return null
  return (
    `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued jobs. ` +
    'Set maxmemory-policy to noeviction on the server that holds your queues.'
  )
}

function parseInfoField(info: string, field: string): string | null {
  const line = info.split(/\r?\n/).find((entry) => entry.startsWith(`${field}:`))
  return line ? line.slice(field.length + 1).trim() : null
}

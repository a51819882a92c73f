/**
 * What the payload-security scenarios (12–14) share: an APP_KEY of their own (the soak backends run
 * keyless by default) for the workers and for the payloads the runner seals, pushing raw payloads, and
 * reading back everything a backend stores (Redis keys, the jobs table) to search it.
 */
import { Encrypter } from '../../framework/encryption/encrypter.ts'
import { KeyRing } from '../../framework/encryption/key-ring.ts'
import { Signer } from '../../framework/encryption/signer.ts'
import type { PayloadSecurity } from '../../framework/queue/payload-security.ts'
import { SERVICES } from '../../tests/support/services.ts'
import type { ScenarioContext } from './context.ts'

/** The signer and encrypter a producer with APP_KEY = `key` uses. */
export function keyedSecurity(key: string): PayloadSecurity {
  const keys = KeyRing.fromConfig({ key })
  return { signer: new Signer(keys), encrypter: new Encrypter(keys) }
}

/** Pushes raw payloads in order, in bulk. */
export async function pushRaw(context: ScenarioContext, raws: string[], queue = 'default'): Promise<void> {
  for (let i = 0; i < raws.length; i += 200) await context.backend.driver.bulkRaw(raws.slice(i, i + 200), queue)
}

/** Every value the backend holds for its queues now: all keys under the Redis prefix, or the jobs table. */
export async function storedQueueText(context: ScenarioContext): Promise<string> {
  if (context.backend.name === 'redis') return redisText(context.backend.env.REDIS_PREFIX ?? '')
  const db = await context.backend.app.make('db').connection()
  const rows = (await db('jobs').select('payload')) as { payload: unknown }[]
  return rows.map((row) => String(row.payload)).join('\n')
}

/** SCAN of the queue (db 0) and cache (db 1) databases for keys holding `prefix`, each value read by its type. */
async function redisText(prefix: string): Promise<string> {
  const { Redis } = await import('ioredis')
  const { host, port } = SERVICES.redis
  const out: string[] = []
  for (const db of [0, 1]) {
    const client = new Redis({ host, port, db, lazyConnect: true, maxRetriesPerRequest: 2 })
    try {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
        cursor = next
        for (const key of keys) {
          out.push(key)
          const type = await client.type(key)
          if (type === 'string') out.push(String(await client.get(key)))
          else if (type === 'hash') out.push(...Object.entries(await client.hgetall(key)).flat())
          else if (type === 'list') out.push(...(await client.lrange(key, 0, -1)))
          else if (type === 'zset') out.push(...(await client.zrange(key, 0, -1)))
          else if (type === 'set') out.push(...(await client.smembers(key)))
          else if (type !== 'none') out.push(`<${type} ${key} not read>`)
        }
      } while (cursor !== '0')
    } finally {
      client.disconnect()
    }
  }
  return out.join('\n')
}

/** How many times `needle` occurs in `text`. */
export function occurrences(text: string, needle: string): number {
  return needle === '' ? 0 : text.split(needle).length - 1
}

/**
 * The Redis connection manager: connections by name from config/redis.ts, built lazily (ioredis is not
 * even loaded before the first connection), URL/prefix/TLS settings applied, everything closed on close().
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { RedisConfig } from '../../framework/redis/config.ts'
import { describeConnection, RedisManager } from '../../framework/redis/redis-manager.ts'
import { repoRoot } from '../support/craft.ts'
import { probeService, SERVICES } from '../support/services.ts'

const redisUp = await probeService('redis')
const { host, port } = SERVICES.redis

function config(connections: RedisConfig['connections'], prefix = 'kiln_t_mgr_'): RedisConfig {
  return { options: { prefix }, connections }
}

describe('RedisManager', () => {
  it('names the configured connections when asked for an unknown one', () => {
    const manager = new RedisManager(config({ default: { host, port } }))
    expect(() => manager.connection('nope')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_REDIS_CONNECTION', message: expect.stringContaining('default') }))
  })

  it('builds each connection once, lazily, and a separate one per duplicate()', async () => {
    const manager = new RedisManager(config({ default: { host, port } }))
    const client = manager.connection()
    expect(client.status).toBe('wait')
    expect(manager.connection('default')).toBe(client)
    const blocking = manager.duplicate()
    expect(blocking).not.toBe(client)
    await manager.close()
    expect(client.status).toBe('end')
    expect(blocking.status).toBe('end')
  })

  it('applies the prefix (a connection of its own wins), TLS and the URL', async () => {
    const manager = new RedisManager(
      config({
        default: { host, port },
        own: { host, port, keyPrefix: 'mine:' },
        secure: { host, port, tls: true },
        byUrl: { url: `redis://${host}:${port}/3`, host: 'ignored.invalid', port: 1 },
      }),
    )
    expect(manager.connection().options.keyPrefix).toBe('kiln_t_mgr_')
    expect(manager.connection('own').options.keyPrefix).toBe('mine:')
    expect(manager.connection('secure').options.tls).toEqual({})
    const byUrl = manager.connection('byUrl')
    expect(byUrl.options.db).toBe(3)
    expect(byUrl.options.port).toBe(port)
    await manager.close()
  })

  it('describes a connection without its password', () => {
    expect(describeConnection({ host: 'redis.internal', port: 6380, db: 2, password: 's3cret' })).toBe('redis.internal:6380 db 2')
    expect(describeConnection({ url: 'rediss://user:s3cret@cache.example.com:6390/4', host: '', port: 0 })).toBe('cache.example.com:6390 db 4')
  })

  it.skipIf(!redisUp)('talks to the server through the prefix', async () => {
    const manager = new RedisManager(config({ default: { host, port } }, `kiln_t_mgr_${process.pid}_`))
    const client = manager.connection()
    await client.set('probe', '1', 'EX', 30)
    const raw = manager.duplicate('default', { keyPrefix: '' })
    expect(await raw.get(`kiln_t_mgr_${process.pid}_probe`)).toBe('1')
    await client.del('probe')
    await manager.close()
  })

  it('does not load ioredis until a connection is asked for', () => {
    const script = `
      import { createRequire } from 'node:module'
      const { RedisManager } = await import('./framework/redis/redis-manager.ts')
      await import('./framework/redis/provider.ts')
      await import('./framework/queue/drivers/redis.ts')
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/ioredis/'))
      const before = loaded()
      const manager = new RedisManager({ connections: { default: { host: '127.0.0.1', port: 1 } } })
      manager.connection()
      console.log(JSON.stringify({ before, after: loaded() }))
      await manager.close()
    `
    const result = spawnSync(process.execPath, ['--import', './framework/loader/register.mjs', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout.trim())).toEqual({ before: false, after: true })
  })

  it('closes a connection that never reached its server without keeping the process alive (a failed CLI exits at once)', async () => {
    const { freePort } = await import('../../soak/private-servers.ts')
    const closedPort = await freePort()
    const script = `
      const { RedisManager } = await import('./framework/redis/redis-manager.ts')
      const manager = new RedisManager({ connections: { default: { host: '127.0.0.1', port: ${closedPort} } } })
      const client = manager.connection()
      // What a CLI command does: its command fails once the reconnect attempts are spent, then it closes.
      await client.ping().catch(() => undefined)
      await manager.close()
      await new Promise((resolve) => setTimeout(resolve, 300)) // let the socket's close land
      // What is left holding the event loop once everything was closed (stdio pipes aside).
      console.log(JSON.stringify(process.getActiveResourcesInfo().filter((kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap')))
    `
    const result = spawnSync(process.execPath, ['--import', './framework/loader/register.mjs', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout.trim())).toEqual([])
  })
})

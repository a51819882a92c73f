import { describe, expect, it } from 'vitest'
import { DatabaseManager } from '../../framework/database/database-manager.ts'

describe('DatabaseManager', () => {
  const manager = new DatabaseManager({ default: 'main', migrations: { table: 'migrations' }, connections: { main: { driver: 'sqlite', database: ':memory:' } } }, '/tmp')

  it('opens each connection once and shares it', async () => {
    const first = await manager.connection()
    expect(await manager.connection('main')).toBe(first)
    await manager.close()
    expect(await manager.connection()).not.toBe(first)
    await manager.close()
  })

  it('refuses unknown and inherited connection names, listing the configured ones', () => {
    for (const name of ['nope', 'constructor', '__proto__']) {
      expect(() => manager.connection(name)).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_DB_CONNECTION', message: expect.stringContaining('main') }))
    }
  })
})

import { Command } from '../command.ts'

export default class CacheForgetCommand extends Command {
  static override commandName = 'cache:forget'
  static override description = 'Remove an item from the cache'
  static override arguments = [
    { name: 'key', description: 'The key to remove', required: true },
    { name: 'store', description: 'The store to remove the key from' },
  ]

  async handle() {
    const key = this.input.argument('key') ?? ''
    await this.app.make('cache').store(this.input.argument('store')).forget(key)
    this.output.info(`The [${key}] key has been removed from the cache.`)
  }
}

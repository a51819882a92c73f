import { Command } from '../command.ts'

export default class CacheClearCommand extends Command {
  static override commandName = 'cache:clear'
  static override description = 'Flush the application cache'
  static override arguments = [{ name: 'store', description: 'The name of the store you would like to clear' }]

  async handle() {
    const store = this.app.make('cache').store(this.input.argument('store'))
    await store.flush()
    this.output.info('Application cache cleared successfully.')
  }
}

import { Command } from '../command.ts'
import { generateCacheTableMigration } from '../../cache/table-migration.ts'

export default class CacheTableCommand extends Command {
  static override commandName = 'cache:table'
  static override description = 'Create a migration for the cache database table'

  async handle() {
    const file = generateCacheTableMigration(this.app)
    this.output.info(`Migration [${file}] created successfully.`)
  }
}

import { Command } from '../command.ts'
import { KILN_VERSION } from '../../version.ts'

type Section = [title: string, rows: [label: string, value: string][]]

export default class AboutCommand extends Command {
  static override commandName = 'about'
  static override description = 'Display basic information about your application'
  static override options = [{ flags: '--json', description: 'Output the information as JSON' }]

  async handle() {
    const sections = this.collect()
    if (this.input.boolean('json')) {
      const json = Object.fromEntries(sections.map(([title, rows]) => [title.toLowerCase(), Object.fromEntries(rows)]))
      this.output.line(JSON.stringify(json, null, 2))
      return
    }
    for (const [title, rows] of sections) {
      this.output.line()
      this.output.twoColumn(this.output.style(title, 'green', 'bold'))
      for (const [label, value] of rows) this.output.twoColumn(label, value)
    }
    this.output.line()
  }

  /** Reads config only: `about` never opens a database or Redis connection. */
  private collect(): Section[] {
    const app = this.app.config('app')
    const database = this.app.config('database')
    const queue = this.app.config('queue')
    const logging = this.app.config('logging')
    const dbDriver = database.connections[database.default]?.driver ?? 'unknown'
    const queueDriver = queue.connections[queue.default]?.driver ?? 'unknown'
    return [
      [
        'Environment',
        [
          ['Application Name', app.name],
          ['Kiln Version', KILN_VERSION],
          ['Node Version', process.versions.node],
          ['Environment', app.env],
          ['Debug Mode', app.debug ? 'ENABLED' : 'OFF'],
          ['URL', app.url],
          ['Application Key', app.key ? 'SET' : 'NOT SET (run craft key:generate)'],
          ['Payload Signing', app.key ? 'ON' : 'OFF (no APP_KEY)'],
        ],
      ],
      [
        'Drivers',
        [
          ['Database', `${database.default} (${dbDriver})`],
          ['Queue', `${queue.default} (${queueDriver})`],
          ['Failed Jobs', queue.failed.driver],
          ['Logs', logging.default],
        ],
      ],
      [
        'Paths',
        [
          ['Base', this.app.basePath],
          ['App', this.app.appPath()],
          ['Config', this.app.configPath()],
          ['Database', this.app.databasePath()],
          ['Storage', this.app.storagePath()],
        ],
      ],
    ]
  }
}

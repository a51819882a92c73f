import { Command } from '../command.ts'
import { CommandFailedError } from '../errors.ts'

/** `craft route:list`: every route of routes/api.ts with its verbs, URI, name and action. */
export default class RouteListCommand extends Command {
  static override commandName = 'route:list'
  static override description = 'List all registered routes'
  static override options = [
    { flags: '--json', description: 'Output the route list as JSON' },
    { flags: '--method <method>', description: 'Filter the routes by method' },
    { flags: '--path <path>', description: 'Only show routes matching the given path pattern' },
    { flags: '--name <name>', description: 'Filter the routes by name' },
  ]

  async handle() {
    const { loadRoutes } = await import('../../http/routes-file.ts')
    const { formatRouteList, summarizeRoutes } = await import('../../http/route-list.ts')
    const all = await loadRoutes(this.app)
    if (all.length === 0) throw new CommandFailedError("Your application doesn't have any routes. Add them in routes/api.ts.")
    const routes = summarizeRoutes(all, { method: this.input.string('method'), path: this.input.string('path'), name: this.input.string('name') })
    if (routes.length === 0) throw new CommandFailedError("Your application doesn't have any routes matching the given criteria.")
    if (this.input.boolean('json')) {
      this.output.line(JSON.stringify(routes))
      return
    }
    for (const line of formatRouteList(routes, this.output.width())) this.output.line(line)
  }
}

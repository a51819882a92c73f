import type { Route } from './router.ts'

/** One line of `craft route:list`, in Laravel's terms (`GET|HEAD`, `users/{id}`, `UserController@show`). */
export interface RouteSummary {
  method: string
  uri: string
  name: string | null
  action: string
}

export interface RouteFilter {
  /** Only routes answering this verb (`--method=post`). */
  method?: string
  /** Only routes whose URI contains this text (`--path=orders`). */
  path?: string
  /** Only routes whose name contains this text (`--name=orders.`). */
  name?: string
}

/** Routes as route:list shows them, sorted by URI then method. GET routes also answer HEAD. */
export function summarizeRoutes(routes: Route[], filter: RouteFilter = {}): RouteSummary[] {
  return routes
    .map((route) => ({
      method: route.methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join('|'),
      uri: route.uri === '/' ? '/' : route.uri.slice(1),
      name: route.routeName ?? null,
      action: route.actionName,
    }))
    .filter((route) => matches(route, filter))
    .sort((a, b) => a.uri.localeCompare(b.uri) || a.method.localeCompare(b.method))
}

/**
 * The lines of artisan's route:list: method, URI, a dotted leader and the action (`name › action`),
 * then "Showing [n] routes" right-aligned. Returned as plain text so the command only prints it.
 */
export function formatRouteList(routes: RouteSummary[], width: number): string[] {
  const methodWidth = Math.max(...routes.map((route) => route.method.length))
  const lines = routes.map((route) => {
    const action = route.name ? `${route.name} › ${route.action}` : route.action
    const spaces = ' '.repeat(Math.max(methodWidth + 6 - route.method.length, 0))
    const dotCount = Math.max(width - (route.method + spaces + route.uri + action).length - 6 - (action ? 1 : 0), 0)
    const dots = dotCount > 0 ? ` ${'.'.repeat(dotCount)}` : ''
    return `  ${route.method} ${spaces}${route.uri}${dots} ${action}`
  })
  const count = `Showing [${routes.length}] routes`
  return ['', ...lines, '', `${' '.repeat(Math.max(width - count.length - 2, 0))}${count}`, '']
}

function matches(route: RouteSummary, filter: RouteFilter): boolean {
  if (filter.method && !route.method.split('|').includes(filter.method.toUpperCase())) return false
  if (filter.path && !route.uri.includes(filter.path.replace(/^\/+/, ''))) return false
  if (filter.name && !(route.name ?? '').includes(filter.name)) return false
  return true
}

import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { Application } from '../foundation/application.ts'
import { InvalidRouteError } from './errors.ts'
import { isRouteFile, Router, type Route, type RouteFile } from './router.ts'

/**
 * The app's routes: `routes/api.ts` (or the RouteFile given, for tests and embedding), registered on a
 * fresh Router. A missing route file means no routes, not an error. Controller actions are checked here
 * so a typo'd method fails at start-up, not on the first request.
 */
export async function loadRoutes(app: Application, routes?: RouteFile): Promise<Route[]> {
  const file = routes ?? (await importRouteFile(app.path('routes', 'api.ts')))
  const router = new Router()
  if (file) file.register(router)
  for (const route of router.routes) assertActionExists(route)
  return router.routes
}

async function importRouteFile(path: string): Promise<RouteFile | undefined> {
  if (!existsSync(path)) return undefined
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  if (!isRouteFile(module.default)) {
    throw new InvalidRouteError(`${path} must default-export defineRoutes((router) => { ... }) from '#kiln/http/router'.`)
  }
  return module.default
}

function assertActionExists(route: Route): void {
  if (typeof route.action === 'function') return
  const [controller, method] = route.action
  if (typeof controller !== 'function' || typeof controller.prototype?.[method] !== 'function') {
    throw new InvalidRouteError(`The route ${route.methods.join('|')} ${route.uri} points at ${route.actionName}, which is not a method of that controller.`)
  }
}

import type { Application } from '../foundation/application.ts'
import type { HttpRequest } from './request.ts'

/**
 * The route file API, shaped like Laravel's:
 *
 *   export default defineRoutes((router) => {
 *     router.get('/health', [HealthController, 'show'])
 *     router.post('/orders', [OrderController, 'store']).name('orders.store')
 *     router.group({ prefix: '/admin' }, (admin) => admin.delete('/users/{id}', [UserController, 'destroy']))
 *   })
 *
 * A controller is a plain class (built once with the app) whose action methods take the request.
 * Pointing at a method that does not exist, or is not a `(request) => ...` method, is a type error.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

export type RouteClosure = (request: HttpRequest) => unknown
export type ControllerClass<T extends object> = new (app: Application) => T
export type ActionName<T> = { [K in keyof T]: T[K] extends (request: HttpRequest) => unknown ? K : never }[keyof T] & string
export type ControllerAction<T extends object> = readonly [ControllerClass<T>, ActionName<T>]
export type RouteAction<T extends object = object> = RouteClosure | ControllerAction<T>

export interface RouteGroupAttributes {
  /** Prepended to every URI in the group: `{ prefix: '/admin' }`. */
  prefix?: string
  /** Prepended to every route name in the group: `{ name: 'admin.' }`. */
  name?: string
}

export class Route {
  private assignedName: string | undefined

  constructor(
    readonly methods: readonly HttpMethod[],
    /** As written, with Laravel's `{param}` placeholders, normalised to one leading slash. */
    readonly uri: string,
    readonly action: RouteAction,
    private readonly namePrefix = '',
  ) {}

  /** Names the route (shown by `craft route:list`). */
  name(name: string): this {
    this.assignedName = `${this.namePrefix}${name}`
    return this
  }

  get routeName(): string | undefined {
    return this.assignedName
  }

  /** `HealthController@show` for a controller action, `Closure` for a function, as route:list prints. */
  get actionName(): string {
    if (typeof this.action === 'function') return 'Closure'
    const [controller, method] = this.action
    return `${controller.name}@${method}`
  }
}

export class Router {
  readonly routes: Route[] = []

  constructor(private readonly attributes: Required<RouteGroupAttributes> = { prefix: '', name: '' }) {}

  get<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['GET'], uri, action)
  }

  post<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['POST'], uri, action)
  }

  put<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['PUT'], uri, action)
  }

  patch<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['PATCH'], uri, action)
  }

  delete<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['DELETE'], uri, action)
  }

  options<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['OPTIONS'], uri, action)
  }

  any<T extends object>(uri: string, action: RouteAction<T>): Route {
    return this.match(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], uri, action)
  }

  match<T extends object>(methods: readonly HttpMethod[], uri: string, action: RouteAction<T>): Route {
    const route = new Route(methods, joinUri(this.attributes.prefix, uri), action as RouteAction, this.attributes.name)
    this.routes.push(route)
    return route
  }

  group(attributes: RouteGroupAttributes, define: (router: Router) => void): void {
    const child = new Router({
      prefix: joinUri(this.attributes.prefix, attributes.prefix ?? ''),
      name: `${this.attributes.name}${attributes.name ?? ''}`,
    })
    define(child)
    this.routes.push(...child.routes)
  }
}

const ROUTES = Symbol.for('kiln.routes')

/** What a route file default-exports. */
export interface RouteFile {
  readonly [ROUTES]: true
  register(router: Router): void
}

export function defineRoutes(register: (router: Router) => void): RouteFile {
  return { [ROUTES]: true, register }
}

export function isRouteFile(value: unknown): value is RouteFile {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ROUTES] === true
}

/** Laravel placeholders to Fastify's: `/users/{id}` -> `/users/:id`, `{id?}` -> `:id?`. */
export function toFastifyPath(uri: string): string {
  return uri.replace(/\{(\w+)(\?)?\}/g, (_, name: string, optional?: string) => `:${name}${optional ?? ''}`)
}

function joinUri(prefix: string, uri: string): string {
  const parts = [prefix, uri].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean)
  return `/${parts.join('/')}`
}

import type { Application } from '../foundation/application.ts'
import { isPlainObject, readPath } from './validation/rules.ts'
import type { CustomMessages, RuleSet, Validated } from './validation/types.ts'
import { validate } from './validation/validator.ts'

export interface HttpRequestInit {
  method: string
  url: string
  params: Record<string, string>
  query: Record<string, string | string[]>
  body: unknown
  headers: Record<string, string | string[] | undefined>
  app: Application
}

/**
 * What a controller action receives: the parsed request and the application. Plain data, no Fastify
 * types, so controllers stay testable without a server.
 */
export class HttpRequest {
  readonly method: string
  readonly url: string
  /** Route parameters: `/orders/{id}` gives `params.id`. */
  readonly params: Record<string, string>
  readonly query: Record<string, string | string[]>
  /** The parsed body (JSON, or form fields); undefined when there is none. */
  readonly body: unknown
  readonly headers: Record<string, string | string[] | undefined>
  readonly app: Application

  constructor(init: HttpRequestInit) {
    this.method = init.method
    this.url = init.url
    this.params = init.params
    this.query = init.query
    this.body = init.body
    this.headers = init.headers
    this.app = init.app
  }

  /** Query string and body merged (the body wins), as Laravel's `$request->all()`. */
  all(): Record<string, unknown> {
    return { ...this.query, ...(isPlainObject(this.body) ? this.body : {}) }
  }

  /** One input value by key (dots reach into nested JSON), or the fallback. */
  input<T = unknown>(key: string, fallback?: T): T | undefined {
    const value = readPath(this.all(), key)
    return value === undefined ? fallback : (value as T)
  }

  header(name: string): string | undefined {
    const value = this.headers[name.toLowerCase()]
    return Array.isArray(value) ? value[0] : value
  }

  /**
   * Validates the input (`all()`) with Laravel-style rules and returns the validated fields, typed
   * from the rules. Failing input throws a ValidationError, which the kernel answers with 422.
   */
  validate<const R extends RuleSet>(rules: R, messages?: CustomMessages): Validated<R> {
    return validate(this.all(), rules, messages)
  }
}

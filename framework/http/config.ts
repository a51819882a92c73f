export interface HttpConfig {
  /** Interface `craft serve` binds to (APP_HOST); `--host` overrides it. */
  host: string
  /** Port `craft serve` listens on (APP_PORT); `--port` overrides it. */
  port: number
  /** Largest request body accepted, in bytes; larger bodies answer 413. */
  bodyLimit: number
  /** Trust X-Forwarded-* headers (behind a load balancer or reverse proxy). */
  trustProxy: boolean
  /** Log one line per request through the app's logger. */
  logRequests: boolean
}

export function defineHttpConfig(config: HttpConfig): HttpConfig {
  return config
}

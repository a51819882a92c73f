import { ExternalServiceError } from './errors.ts'

/**
 * POSTs `body` as JSON over real HTTP and throws ExternalServiceError on a non-2xx answer, so the
 * calling job fails this attempt and is retried by the worker. `signal` is the job's abort signal.
 */
export async function postJson(service: string, url: string, body: unknown, options: { signal?: AbortSignal; timeoutSeconds?: number } = {}): Promise<unknown> {
  const signals = [AbortSignal.timeout((options.timeoutSeconds ?? 10) * 1000), ...(options.signal ? [options.signal] : [])]
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.any(signals),
  })
  const text = await response.text()
  if (!response.ok) throw new ExternalServiceError(service, url, response.status, text)
  try {
    return text ? (JSON.parse(text) as unknown) : null
  } catch {
    return text
  }
}

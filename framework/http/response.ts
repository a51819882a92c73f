/**
 * What a controller may return: plain data (sent as JSON with 200), nothing (204), or a JsonResponse
 * when the status or headers matter: `return json(order, 201)`.
 */
export class JsonResponse {
  constructor(
    readonly body: unknown,
    readonly status: number = 200,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): JsonResponse {
  return new JsonResponse(body, status, headers)
}

export function noContent(): JsonResponse {
  return new JsonResponse(undefined, 204)
}

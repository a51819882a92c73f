import { ValidationError } from '#kiln/http/errors'
import type { HttpRequest } from '#kiln/http/request'
import { json, type JsonResponse } from '#kiln/http/response'
import { ImportCsv } from '#app/Jobs/ImportCsv'

/** `POST /imports`: a CSV of users, as the raw body (text/csv or text/plain) or as JSON `{ "csv": "..." }`; imported on a worker. */
export class ImportController {
  async store(request: HttpRequest): Promise<JsonResponse> {
    const csv = typeof request.body === 'string' ? request.body : request.input<unknown>('csv')
    if (typeof csv !== 'string' || csv.trim() === '') throw new ValidationError({ csv: ['The csv field is required.'] })
    const id = await ImportCsv.dispatch(csv)
    return json({ job_id: id }, 202)
  }
}

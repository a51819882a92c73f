import { KilnError } from '#kiln/support/errors'

/** A third-party service (CRM, Slack) answered with a non-2xx status; the job retries. */
export class ExternalServiceError extends KilnError {
  constructor(service: string, url: string, status: number, body: string) {
    super('E_EXTERNAL_SERVICE', `${service} answered ${status} to POST ${url}${body ? `: ${body.slice(0, 200)}` : ''}. The job is retried; check the service or its URL in config/services.ts.`)
  }
}

/** A CSV row of an import could not be imported (its ImportUserRow job fails alone). */
export class InvalidImportRowError extends KilnError {
  constructor(line: number, reason: string) {
    super('E_INVALID_IMPORT_ROW', `Line ${line} of the import was skipped: ${reason.replace(/\.$/, '')}. Fix the row and import it again.`)
  }
}

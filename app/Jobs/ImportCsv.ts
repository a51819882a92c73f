import { Bus } from '#kiln/bus/bus-facade'
import { QueuedJob } from '#kiln/queue/job'
import { ImportUserRow } from '#app/Jobs/ImportUserRow'
import { SendImportSummary } from '#app/Jobs/SendImportSummary'
import { parseCsv } from '#app/Support/csv'

/**
 * Fans a CSV of users (`name,email`, header optional) out into a batch of ImportUserRow jobs, one per
 * row, so a bad row fails alone; when every row has run, SendImportSummary mails the admin.
 */
export class ImportCsv extends QueuedJob {
  override tries = 1

  constructor(public csv: string) {
    super()
  }

  async handle(): Promise<void> {
    const rows = parseCsv(this.csv)
    const header = rows[0]?.fields.map((field) => field.toLowerCase())
    const hasHeader = header?.includes('email') ?? false
    const nameAt = hasHeader ? header!.indexOf('name') : 0
    const emailAt = hasHeader ? header!.indexOf('email') : 1
    const jobs = (hasHeader ? rows.slice(1) : rows).map((row) => new ImportUserRow(row.line, row.fields[nameAt] ?? '', row.fields[emailAt] ?? ''))
    await Bus.batch(jobs).allowFailures().name('import').onQueue(this.job.queue).finally(new SendImportSummary()).dispatch()
  }
}

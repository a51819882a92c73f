import { Mailable, html, text, type Content, type Envelope } from '#kiln/mail/mail'

export interface ImportCounts {
  total: number
  imported: number
  failed: number
}

/** Tells the admin how a CSV import went (SendImportSummary, the import batch's `finally` job). */
export class ImportSummary extends Mailable {
  constructor(public counts: ImportCounts) {
    super()
  }

  envelope(): Envelope {
    return { subject: `User import finished: ${this.counts.imported} of ${this.counts.total} rows imported`, tags: ['import'] }
  }

  content(): Content {
    const { total, imported, failed } = this.counts
    return {
      html: html`<h1>User import finished</h1>
<p>Rows: ${total}. Imported: ${imported}. Failed: ${failed}.</p>
<p>Failed rows are listed by <code>bin/craft queue:failed</code>.</p>`,
      text: text`User import finished

Rows: ${total}. Imported: ${imported}. Failed: ${failed}.
Failed rows are listed by bin/craft queue:failed.`,
    }
  }
}
